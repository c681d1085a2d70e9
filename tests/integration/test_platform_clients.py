"""The embedded broker is Apache Kafka, and two independent clients both work against it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from kafka import KafkaAdminClient

from runtime import clients
from runtime.settings import Settings
from tests.conftest import KafkaCluster

pytestmark = pytest.mark.kafka


def test_broker_process_is_apache_kafka_4(kafka_cluster: KafkaCluster, kafka_settings: Settings) -> None:
    admin = clients.admin(kafka_settings)
    try:
        cluster = admin.describe_cluster()
        versions = {b["broker_id"]: admin.get_broker_version_data(b["broker_id"]).broker_version
                    for b in cluster["brokers"]}
    finally:
        admin.close()
    assert cluster["brokers"], "the broker reports itself in the cluster metadata"
    # the API versions each broker answers with are those of Kafka 4 (for an external cluster, all there is)
    assert all(version >= (4, 0) for version in versions.values()), versions
    if kafka_cluster.broker is None:
        return  # an external cluster: no process of ours to inspect
    broker = kafka_cluster.broker
    pid = broker.pid()
    assert pid is not None
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"kafka.Kafka" in argv
    classpath = argv[argv.index(b"-cp") + 1].decode()
    jars = sorted(p.name for p in Path(classpath.rstrip("*")).glob("kafka_2.13-*.jar"))
    assert jars and jars[0].startswith("kafka_2.13-4."), jars
    meta = json.loads((broker.data_dir / "sigma-broker.json").read_text())
    assert cluster["cluster_id"] == meta["cluster_id"]
    assert "Kafka version: 4." in broker.log_file.read_text(errors="replace")


def test_kafka_python_and_confluent_kafka_both_produce_and_consume(
    kafka_settings: Settings, topic_factory: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    topic = topic_factory(partitions=2)

    kp = clients.producer(kafka_settings)
    for i in range(5):
        kp.send(topic, key=b"k", value=f"kafka-python {i}".encode())
    kp.flush()
    kp.close()

    cp = Producer({"bootstrap.servers": kafka_settings.bootstrap, "enable.idempotence": True})
    for i in range(5):
        cp.produce(topic, key=b"k", value=f"librdkafka {i}".encode())
    assert cp.flush(30) == 0

    kc = clients.consumer(kafka_settings, topic, group_id=unique_name("group"), consumer_timeout_ms=5000)
    seen_by_kafka_python = sorted(m.value.decode() for m in kc)
    kc.close()

    cc = Consumer({"bootstrap.servers": kafka_settings.bootstrap, "group.id": unique_name("group"),
                   "auto.offset.reset": "earliest"})
    cc.subscribe([topic])
    seen_by_librdkafka: list[str] = []
    for _ in range(100):
        msg = cc.poll(0.5)
        if msg is not None and msg.error() is None:
            seen_by_librdkafka.append(msg.value().decode())
        if len(seen_by_librdkafka) == 10:
            break
    cc.close()

    expected = sorted([f"kafka-python {i}" for i in range(5)] + [f"librdkafka {i}" for i in range(5)])
    assert seen_by_kafka_python == expected
    assert sorted(seen_by_librdkafka) == expected


def test_topics_apply_is_idempotent(kafka_settings: Settings, unique_name: Callable[[str], str]) -> None:
    from runtime.topics import apply_topics
    from schemas.topics import ALL_TOPICS

    prefix = unique_name("apply") + "."
    specs = [t.prefixed(prefix) for t in ALL_TOPICS]
    first = apply_topics(kafka_settings, specs)
    second = apply_topics(kafka_settings, specs)
    assert {r.action for r in first} == {"created"}
    assert {r.action for r in second} == {"exists"}
    admin = KafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap)
    try:
        described = {d["name"]: len(d["partitions"]) for d in admin.describe_topics([s.name for s in specs])}
    finally:
        admin.close()
    assert described == {s.name: s.partitions for s in specs}


def test_topics_apply_reports_configs_that_differ_from_the_plan_and_changes_nothing(
        kafka_settings: Settings, unique_name: Callable[[str], str]) -> None:
    from runtime.topics import apply_topics
    from schemas.topics import TopicSpec

    name = unique_name("drift")
    apply_topics(kafka_settings, [TopicSpec(name, 1, "old plan", {"retention.ms": "2592000000"})])
    same = apply_topics(kafka_settings, [TopicSpec(name, 1, "old plan", {"retention.ms": "2592000000"})])
    assert [(r.action, r.note) for r in same] == [("exists", "")]
    drifted = apply_topics(kafka_settings, [TopicSpec(name, 2, "new plan", {"retention.ms": "-1",
                                                                           "cleanup.policy": "delete"})])
    assert [(r.action, r.note) for r in drifted] == [
        ("exists", "has 1 partitions, plan says 2; retention.ms is 2592000000, plan says -1")]
    again = apply_topics(kafka_settings, [TopicSpec(name, 1, "new plan", {"retention.ms": "-1"})])
    assert again[0].note == "retention.ms is 2592000000, plan says -1", "apply must not alter a live topic"
