"""The partner examples, built with their own toolchains and run against the real broker: a Java system (Apache
Kafka's client, Apache Avro) and a Go system (franz-go, hamba/avro) publish one case each from the wire
contract alone, and sigma's validator processes every event, dead-letters none and judges both cases complete.

Also on the broker: the placement the contract prescribes is what the examples' clients chose, and
librdkafka places the same keys elsewhere unless told ``partitioner=murmur2_random`` (the contract's reason
for naming a partitioner). Maven and Go fetch their libraries once into their own caches (``~/.m2``, Go's
module cache); a missing ``mvn``, ``java`` or ``go`` fails the test with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from consumers.bounded import partitions_of, read_until
from consumers.records import ConsumedRecord
from runtime import clients
from runtime.settings import Settings
from runtime.topics import apply_topics
from schemas import layout, topics
from schemas.casekey import case_key
from schemas.codec import Deserializer, SerializationContext
from schemas.examples import EXAMPLE_SECRET
from schemas.wirecontract import crc32_partition, kafka_partition
from tests.clirunner import sigma
from tests.conftest import KafkaCluster
from tests.published import published_finding

pytestmark = pytest.mark.kafka

EXAMPLES = layout.REPO_ROOT / "examples"
SCHEMAS = layout.REPO_ROOT / "schemas" / "avro"
SECRET = EXAMPLE_SECRET.decode()
V_NUMBERS = {"java": "0000000003", "go": "0000000007"}
"""The contract's partition vectors: their case keys go to partitions 3 and 5 of 6."""
CE_HEADERS = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_dataschema", "content-type"]


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"`{name}` is not installed: the partner examples are built with it (README, 'Integrating a "
                    f"partner system'); install it and run again")
    return found


def run(args: list[str], cwd: Path, what: str, env: dict[str, str] | None = None,
        timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run a toolchain command; fail with its last lines of output when it fails."""
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        pytest.fail(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc


@pytest.fixture(scope="module")
def java_example() -> list[str]:
    """``mvn -q -B package`` of examples/java (its tests run first); the command that runs it."""
    tool("java")
    run([tool("mvn"), "-q", "-B", "package"], EXAMPLES / "java", "building examples/java with Maven")
    return ["java", "-jar", str(EXAMPLES / "java" / "target" / "partner-example.jar")]


@pytest.fixture(scope="module")
def go_example(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """``go build`` of examples/go; the command that runs it."""
    binary = tmp_path_factory.mktemp("go") / "partner-example"
    run([tool("go"), "build", "-buildvcs=false", "-o", str(binary), "."], EXAMPLES / "go",
        "building examples/go with Go")
    return [str(binary)]


@dataclass(frozen=True)
class PartnerRun:
    """One example's run: the case key it printed and where it says each record landed."""

    case_key: str
    sent: list[dict[str, Any]]


@dataclass(frozen=True)
class Sandbox:
    """The examples' records in one prefix, read back, and the validator's report over them."""

    prefix: str
    runs: dict[str, PartnerRun]
    records: list[ConsumedRecord]
    report: dict[str, Any]
    findings: list[ConsumedRecord]
    dead_letters: list[ConsumedRecord]


def client_config(cluster: KafkaCluster, folder: Path) -> Path:
    """The cluster's client properties in a file only its owner reads, as ``sigma credentials admin`` prints
    them: how a partner system gets its address, TLS trust and login (one example sends every partner's
    events, so it acts as ``admin``)."""
    path = folder / "client.properties"
    path.touch(mode=0o600)
    path.write_text("".join(f"{key}={value}\n" for key, value in cluster.librdkafka().items()))
    return path


def run_partner(command: list[str], cwd: Path, name: str, config: Path, prefix: str) -> PartnerRun:
    proc = run([*command, "-config", str(config), "-prefix", prefix, "-v-number", V_NUMBERS[name],
                "-schemas", str(SCHEMAS)], cwd, f"the {name} example", env={"SIGMA_CASE_KEY_SECRET": SECRET},
               timeout=300)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    return PartnerRun(lines[0]["case_key"], lines[1:])


def read_all(settings: Settings, names: list[str]) -> list[ConsumedRecord]:
    consumer = clients.consumer(settings)
    try:
        partitions = [tp for name in names for tp in partitions_of(consumer, name)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        return list(read_until(consumer, consumer.end_offsets(partitions)))
    finally:
        consumer.close(autocommit=False)


@pytest.fixture(scope="module")
def sandbox(kafka_cluster: KafkaCluster, java_example: list[str], go_example: list[str],
            tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    settings = kafka_cluster.settings()
    prefix = f"test-partners-{uuid.uuid4().hex[:8]}."
    apply_topics(settings, [t.prefixed(prefix) for t in topics.ALL_TOPICS])
    tmp = tmp_path_factory.mktemp("partners")
    config = client_config(kafka_cluster, tmp)
    runs = {"java": run_partner(java_example, EXAMPLES / "java", "java", config, prefix),
            "go": run_partner(go_example, EXAMPLES / "go", "go", config, prefix)}
    result = sigma("validate", "--to-end", "--group", f"g-{uuid.uuid4().hex[:8]}", "--report-json",
                   str(tmp / "report.json"), "--state-dir", str(tmp / "state"),
                   env={**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": prefix})
    assert result.returncode == 0, result.stderr
    return Sandbox(prefix, runs, read_all(settings, [prefix + t.name for t in topics.CHAIN_TOPICS]),
                   json.loads((tmp / "report.json").read_text()),
                   read_all(settings, [prefix + topics.FINDINGS]), read_all(settings, [prefix + topics.DLQ]))


def test_the_validator_processes_every_event_of_both_examples_and_judges_both_cases_complete(
        sandbox: Sandbox) -> None:
    sent = sum(len(r.sent) for r in sandbox.runs.values())
    assert sent == 28 and len(sandbox.records) == sent
    assert sandbox.report["records"] == {"consumed": sent, "processed": sent, "duplicates": 0, "dead_lettered": 0}
    assert sandbox.report["dead_letters"] == {} and sandbox.dead_letters == []
    judged = {c["case"]: c["defects"] for c in sandbox.report["cases"]}
    assert judged == {r.case_key: [] for r in sandbox.runs.values()}


def test_each_example_derives_the_contracts_case_key(sandbox: Sandbox) -> None:
    for name, partner in sandbox.runs.items():
        assert partner.case_key == case_key(V_NUMBERS[name], EXAMPLE_SECRET), name
    assert {r.key for r in sandbox.records} == {r.case_key.encode() for r in sandbox.runs.values()}


def test_every_record_lands_on_the_partition_the_contract_gives(sandbox: Sandbox) -> None:
    planned = {sandbox.prefix + t.name: t.partitions for t in topics.CHAIN_TOPICS}
    for record in sandbox.records:
        assert record.key is not None
        assert record.partition == kafka_partition(record.key, planned[record.topic]), record.topic
    for partner in sandbox.runs.values():
        assert {r["partition"] for r in partner.sent} == {
            kafka_partition(partner.case_key.encode(), topics.CHAIN_PARTITIONS)}
        assert len({r["topic"] for r in partner.sent}) == 14  # each subject on its producer's own topic


def test_every_record_carries_the_contracts_headers_and_a_single_object_value(sandbox: Sandbox) -> None:
    decode = Deserializer().decode
    for record in sandbox.records:
        assert sorted(name for name, _ in record.headers) == sorted(CE_HEADERS)
        decoded = decode(record.value, SerializationContext(record.topic, record.headers))
        data, text = decoded.data, {name: value.decode() for name, value in record.headers}
        assert record.value is not None and record.value[:2] == b"\xc3\x01"
        assert text["ce_specversion"] == "1.0" and text["content-type"] == "application/avro"
        assert text["ce_id"] == data["event_id"]
        assert text["ce_type"] == f"nl.{data['partner']}.{decoded.subject}.v{decoded.version}"
        assert text["ce_source"].startswith(f"/nl/{data['partner']}/") and text["ce_source"].count("/") == 3
        assert topics.PRODUCER[record.topic.removeprefix(sandbox.prefix)] == data["partner"]  # its own topic
        assert text["ce_dataschema"] == layout.uri(layout.avro_path(decoded.subject, decoded.version))
        assert text["ce_time"].endswith("Z")
        assert data["schema_version"] == decoded.version
    # the V-number travels only in the handover's payload, never in a key or header
    for record in sandbox.records:
        for v_number in V_NUMBERS.values():
            assert record.key is not None and v_number.encode() not in record.key
            assert all(v_number.encode() not in value for _, value in record.headers)


def test_each_case_gets_one_finding_saying_complete(sandbox: Sandbox) -> None:
    findings = {r.key: published_finding(r.value, r.headers) for r in sandbox.findings}
    assert set(findings) == {r.case_key.encode() for r in sandbox.runs.values()}
    for finding in findings.values():
        assert finding["complete"] is True and finding["defects"] == []
        assert (finding["revision"], finding["changes"], finding["reason"]) == (0, [], None)  # the first, unrevised


def test_java_example_computes_the_contracts_test_vectors(java_example: list[str]) -> None:
    """Its JUnit tests, run by ``mvn package``: case keys, the Java client's own placement, Apache Avro's canonical
    forms and fingerprints, and the whole example record byte for byte, against docs/wire-contract-vectors.json."""
    reports = sorted((EXAMPLES / "java" / "target" / "surefire-reports").glob("*.txt"))
    assert reports, "mvn package ran no tests"
    summary = " ".join(report.read_text() for report in reports)
    assert "Tests run: 4, Failures: 0, Errors: 0, Skipped: 0" in summary, summary


def test_go_example_computes_the_contracts_test_vectors() -> None:
    """``go test``: case keys, Kafka's placement, CRC-64-AVRO and every released schema's canonical form and
    fingerprint, against docs/wire-contract-vectors.json."""
    proc = run([tool("go"), "test", "-buildvcs=false", "-count=1", "-v", "./..."], EXAMPLES / "go",
               "go test in examples/go")
    assert proc.stdout.count("--- PASS") >= 4 and "--- FAIL" not in proc.stdout


def _librdkafka_partitions(cluster: KafkaCluster, topic: str, keys: list[bytes], **config: str) -> list[int]:
    producer = Producer({**cluster.librdkafka(), **config})
    placed: dict[bytes, int] = {}

    def delivered(err: Any, msg: Any) -> None:
        assert err is None, err
        placed[msg.key()] = msg.partition()

    for key in keys:
        producer.produce(topic, key=key, value=b"x", on_delivery=delivered)
    assert producer.flush(30) == 0
    return [placed[key] for key in keys]


def test_librdkafka_places_case_keys_as_java_only_with_murmur2_random(
        kafka_cluster: KafkaCluster, topic_factory: Callable[..., str]) -> None:
    topic = topic_factory(partitions=6)
    keys = [case_key(f"{n:010d}", EXAMPLE_SECRET).encode() for n in range(1, 41)]
    java = [kafka_partition(key, 6) for key in keys]
    assert _librdkafka_partitions(kafka_cluster, topic, keys, partitioner="murmur2_random") == java
    default = _librdkafka_partitions(kafka_cluster, topic, keys)
    assert default == [crc32_partition(key, 6) for key in keys]
    assert sum(d != j for d, j in zip(default, java, strict=True)) > len(keys) // 2
