"""Resolve Apache Kafka's jars from Maven Central once, with ``mvn``, into a git-ignored folder.

Why Maven and not a tarball: Maven Central is the registry this project may reach, and the pom pins
one Kafka version that every developer and CI machine resolves identically.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import structlog

from runtime import outputs
from runtime.errors import SigmaError, UsageError

log = structlog.get_logger(__name__)
MARKER = ".resolved"


def pom_version(pom: Path) -> str:
    """The Kafka version pinned in the pom (``kafka.version`` property)."""
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom.read_text())
    if not match:
        raise SigmaError(f"{pom} has no <kafka.version> property", fix="restore kafka-dist/pom.xml from git")
    return match.group(1)


def libs_dir(kafka_dir: Path) -> Path:
    """Folder holding the resolved jars."""
    return kafka_dir / "libs"


def is_resolved(kafka_dir: Path, pom: Path) -> bool:
    """True when the jars of the pom's Kafka version are already there (a completed resolution)."""
    marker = libs_dir(kafka_dir) / MARKER
    return marker.is_file() and marker.read_text().strip() == pom_version(pom)


def ensure_resolved(kafka_dir: Path, pom: Path) -> Path:
    """Resolve the jars if missing or stale and return the folder holding them."""
    libs = libs_dir(kafka_dir.resolve())
    pom = pom.resolve()
    if is_resolved(kafka_dir, pom):
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise SigmaError(
            "Maven (mvn) not found; it is needed once to resolve Apache Kafka's jars from Maven Central",
            fix="install it (apt-get install maven) or set SIGMA_BOOTSTRAP_SERVERS to use an existing cluster",
        )
    version = pom_version(pom)
    log.info("resolving Apache Kafka jars", version=version, into=str(libs))
    try:
        if libs.exists():
            shutil.rmtree(libs)
        libs.mkdir(parents=True)
    except OSError as exc:
        raise UsageError(f"cannot create {libs} for Kafka's jars ({exc.strerror})",
                         fix="set SIGMA_KAFKA_DIR to a writable folder") from None
    proc = subprocess.run(
        [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={libs}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not any(libs.glob("kafka_2.13-*.jar")):
        lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "ERROR" in ln] or ["(no output)"]
        raise SigmaError(
            f"Maven could not resolve Apache Kafka {version}: {lines[0].strip()[:300]}",
            fix="check that Maven Central is reachable (mvn -v, ~/.m2/settings.xml) and retry",
        )
    outputs.write_text(libs / MARKER, version + "\n")
    return libs
