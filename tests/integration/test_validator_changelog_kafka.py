"""The validator's changelog on the real broker: the state of a 2,000-case stream read to four fifths (about
1,800 open cases), written to a compacted topic as it grows (cases evicted on the way deleted with tombstones),
read back from the earliest offset, restores the same state, verdicts and counts; every case's record is on
its input partition (Kafka's murmur2 placement)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kafka import TopicPartition

from bench.streams import chain_records
from runtime import clients
from runtime.settings import Settings
from runtime.topics import apply_topics
from schemas.placement import kafka_partition
from schemas.topics import CHAIN_TOPICS
from validator import changelog, changelog_kafka
from validator.engine import Engine

pytestmark = pytest.mark.kafka

CASES = 2000
POLL = 5000
GRACE_HOURS = 168.0


def test_a_state_written_to_a_compacted_topic_restores_from_it(kafka_settings: Settings,
                                                                unique_name: Callable[[str], str]) -> None:
    partitions = CHAIN_TOPICS[0].partitions
    assert {t.partitions for t in CHAIN_TOPICS} == {partitions}  # co-partitioned inputs
    topic = unique_name("changelog")
    apply_topics(kafka_settings, [changelog_kafka.spec(topic, partitions)])
    stream = chain_records(CASES)
    last = {(r.topic, r.partition): i for i, r in enumerate(stream)}
    records = stream[:len(stream) * 4 // 5]  # cases still open: a state in the middle of the stream
    engine = Engine(eviction_grace_hours=GRACE_HOURS)
    changelog.snapshot(engine.state, {})
    producer = clients.producer(kafka_settings)
    sent = 0
    try:
        for start in range(0, len(records), POLL):
            for record in records[start:start + POLL]:
                engine.process(record)
            engine.advance(())
            engine.evict({where for where, i in last.items() if i >= min(start + POLL, len(records))})
            sent += changelog_kafka.write(producer, topic, changelog.flush(engine.state, {}, range(partitions)))
    finally:
        producer.close()
    consumer = clients.consumer(kafka_settings)
    try:
        read = list(changelog_kafka.read(consumer, [TopicPartition(topic, p) for p in range(partitions)]))
    finally:
        consumer.close()
    assert len(read) == sent
    tombstones = [r for r in read if r.value is None]
    assert tombstones and all(r.key.decode() not in engine.state.dossiers for r in tombstones)
    for record in read:
        if not record.key.startswith(changelog.PARTITION_KEY.encode()):
            assert record.partition == kafka_partition(record.key, partitions)
    restored = Engine(state=changelog.restore(read).state, eviction_grace_hours=GRACE_HOURS)
    restored.reschedule()
    assert len(restored.state.dossiers) == len(engine.state.dossiers) > 1500
    assert restored.state.dossiers == engine.state.dossiers
    held = [v for v in engine.verdicts() if v.case not in engine.state.evicted]
    assert restored.verdicts() == held and held
    assert restored.state.counters == engine.state.counters
    assert (restored.state.watermark, restored.state.progress) == (engine.state.watermark, engine.state.progress)
    assert restored.unknown_cases() == engine.unknown_cases()
    assert restored.late_deliveries() == engine.late_deliveries()
