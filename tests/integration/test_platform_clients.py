"""The embedded broker is Apache Kafka, and two independent clients both work against it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from kafka import TopicPartition
from kafka.errors import IllegalStateError

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
    kafka_cluster: KafkaCluster, kafka_settings: Settings, topic_factory: Callable[..., str],
    unique_name: Callable[[str], str]
) -> None:
    topic = topic_factory(partitions=2)

    kp = clients.producer(kafka_settings)
    for i in range(5):
        kp.send(topic, key=b"k", value=f"kafka-python {i}".encode())
    kp.flush()
    kp.close()

    cp = Producer({**kafka_cluster.librdkafka(), "enable.idempotence": True})
    for i in range(5):
        cp.produce(topic, key=b"k", value=f"librdkafka {i}".encode())
    assert cp.flush(30) == 0

    kc = clients.consumer(kafka_settings, topic, group_id=unique_name("group"), consumer_timeout_ms=5000)
    seen_by_kafka_python = sorted(m.value.decode() for m in kc)
    kc.close()

    cc = Consumer({**kafka_cluster.librdkafka(), "group.id": unique_name("group"),
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
    admin = clients.admin(kafka_settings)
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


def test_positions_read_at_once_are_those_the_consumer_gives_one_by_one(
        kafka_cluster: KafkaCluster, kafka_settings: Settings, topic_factory: Callable[..., str]) -> None:
    # the validator reads every partition's position each turn through clients.positions; a partition whose last
    # records are a committed or an aborted transaction ends with a marker no record is read from, and its
    # position must still reach the end (else it would look behind and hold the watermark back forever)
    topic = topic_factory(partitions=3)
    plain = Producer(kafka_cluster.librdkafka())
    for i in range(4):
        plain.produce(topic, value=f"plain {i}".encode(), partition=i % 2)
    assert plain.flush(30) == 0
    for partition, commit in ((1, True), (2, False)):
        txn = Producer({**kafka_cluster.librdkafka(), "transactional.id": f"t-{topic}-{partition}"})
        txn.init_transactions(30)
        txn.begin_transaction()
        txn.produce(topic, value=b"in a transaction", partition=partition)
        assert txn.flush(30) == 0  # written before the abort (which would drop it unsent otherwise)
        (txn.commit_transaction if commit else txn.abort_transaction)(30)
    parts = [TopicPartition(topic, p) for p in range(3)]
    consumer = clients.consumer(kafka_settings, isolation_level="read_committed")
    try:
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        assert clients.positions(consumer, parts) == {tp: 0 for tp in parts}  # resolved, as position() would
        end = consumer.end_offsets(parts)
        assert end == {parts[0]: 2, parts[1]: 4, parts[2]: 2}  # data, plus one marker per transaction
        read: list[bytes] = []
        for _ in range(100):  # a bound, not a timing: each poll waits at most 200 ms
            read += [m.value for batch in consumer.poll(timeout_ms=200).values() for m in batch]
            if clients.positions(consumer, parts) == end:
                break
        assert clients.positions(consumer, parts) == {tp: consumer.position(tp) for tp in parts} == end
        assert sorted(read) == [b"in a transaction", *(f"plain {i}".encode() for i in range(4))]
        with pytest.raises(IllegalStateError):
            clients.positions(consumer, [*parts, TopicPartition(topic + "-other", 0)])
    finally:
        consumer.close()


def test_topics_asked_with_a_time_limit_are_those_the_consumer_gives(
        kafka_settings: Settings, topic_factory: Callable[..., str]) -> None:
    # the validator asks whether a topic still exists through clients.topics (kafka-python's own topics() may
    # wait for ever while the cluster is away: the give-up test in test_validator_faults stops the broker)
    topic = topic_factory(partitions=1)
    consumer = clients.consumer(kafka_settings)
    try:
        found = clients.topics(consumer, 10_000)
        assert topic in found
        assert topic + "-never-made" not in clients.topics(consumer, 10_000)
    finally:
        consumer.close()
