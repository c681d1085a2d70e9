"""Read assigned partitions up to end offsets captured once, at start; find the partitions to read.

Why bounded: ``record --to-end``, ``dlq list``, ``dlq redrive`` and ``dossier`` must finish even while
producers keep writing; records that arrive after the start belong to the next run (for redrive: so a
redriven letter that fails again is not redriven in the same run, which would be a loop).

Why one home: every tool that reads the chain (the validator, the dossier, the DLQ tools, tests and
benchmarks) lists partitions, rewinds and stops at the end the same way, and refuses a missing topic with
the same error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from consumers.records import ConsumedRecord
from runtime.errors import MissingTopicError
from runtime.outage import Outage, Poller
from schemas.topics import ALL_TOPICS, CHAIN_TOPICS


def partitions_of(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    """The partitions of ``topic``, or an empty list when it does not exist."""
    return [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]


def existing_partitions(consumer: KafkaConsumer, names: Iterable[str]) -> list[TopicPartition]:
    """Every partition of each topic in ``names``, in that order; a missing topic is an operational error."""
    partitions: list[TopicPartition] = []
    for name in names:
        found = partitions_of(consumer, name)
        if not found:
            raise MissingTopicError(name, consumer.topics(), [t.name for t in ALL_TOPICS])
        partitions += found
    return partitions


def chain_partitions(consumer: KafkaConsumer, prefix: str) -> list[TopicPartition]:
    """Every partition of every chain topic under ``prefix`` (the topics the validator reads)."""
    return existing_partitions(consumer, [prefix + spec.name for spec in CHAIN_TOPICS])


def rewind(consumer: KafkaConsumer, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    """Assign ``partitions`` at their beginning; their end offsets as of now (where a bounded read stops)."""
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    end: dict[TopicPartition, int] = consumer.end_offsets(partitions)
    return end


def batches_until(consumer: KafkaConsumer, end: dict[TopicPartition, int],
                  max_records: int | None = None, outage: Outage | None = None) -> Iterator[list[Any]]:
    """kafka-python's record batches from each partition's position up to (not including) its offset in ``end``.

    Raw batches, for readers that count or decode records themselves (a benchmark's baseline). With ``outage``
    an outage is waited out (``runtime.outage.Poller``); without, polling goes on silently until it is over.
    """
    poll = consumer.poll if outage is None else Poller(consumer, list(end), outage).poll
    while any(consumer.position(tp) < stop for tp, stop in end.items()):
        for tp, batch in poll(timeout_ms=200, max_records=max_records).items():
            stop = end[tp]
            yield batch if batch[-1].offset < stop else [msg for msg in batch if msg.offset < stop]


def read_until(consumer: KafkaConsumer, end: dict[TopicPartition, int],
               outage: Outage | None = None) -> Iterator[ConsumedRecord]:
    """Records from each partition's current position up to (not including) its offset in ``end`` (with
    ``outage``, an outage waited out)."""
    for batch in batches_until(consumer, end, outage=outage):
        for msg in batch:
            yield ConsumedRecord.from_kafka(msg)


def read_from_start(consumer: KafkaConsumer, partitions: list[TopicPartition]) -> Iterator[ConsumedRecord]:
    """Every record of ``partitions`` from the beginning up to the end offsets seen now (rewinds at once)."""
    return read_until(consumer, rewind(consumer, partitions))
