"""Read assigned partitions up to end offsets captured once, at start.

Why bounded: ``record --to-end``, ``dlq list`` and ``dlq redrive`` must finish even while producers keep
writing; records that arrive after the start belong to the next run (for redrive: so a redriven letter
that fails again is not redriven in the same run, which would be a loop).
"""

from __future__ import annotations

from collections.abc import Iterator

from kafka import KafkaConsumer, TopicPartition

from consumers.records import ConsumedRecord


def read_until(consumer: KafkaConsumer, end: dict[TopicPartition, int]) -> Iterator[ConsumedRecord]:
    """Records from each partition's current position up to (not including) its offset in ``end``."""
    while any(consumer.position(tp) < stop for tp, stop in end.items()):
        for tp, batch in consumer.poll(timeout_ms=200).items():
            stop = end[tp]
            for msg in batch:
                if msg.offset < stop:
                    yield ConsumedRecord.from_kafka(msg)


def partitions_of(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    """The partitions of ``topic``, or an empty list when it does not exist."""
    return [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
