"""The changelog topic on the broker: its configuration, writing records to it, reading them back from the start.

Why apart from ``validator.changelog``: that module is pure (a state in, records out, and back), so its round
trip is tested without a broker; this one is the little that touches Kafka, shared by the tests on the real
broker, the restore benchmark and (to come) the online validator.

The topic is compacted (``cleanup.policy=compact``): Kafka keeps at least the last record of every key, so
reading it from the start gives every open case's latest state. A tombstone (a record without value) is how
an evicted case is deleted: compaction removes the case's older records, and the tombstone itself after the
topic's ``delete.retention.ms`` (Kafka's default: 24 hours), so a restore within that time still sees it.
It has as many partitions as the chain topics, so that input partition n's cases are on its partition n.

One changelog per validator group and topic prefix: ``<prefix>chain.validation.changelog.<group>`` (``name``),
created by the first member of the group that starts (``ensure``). It is written only in the group's
transactions (``validator.online``), so it is read with ``isolation_level=read_committed``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from consumers.bounded import batches_until, rewind
from runtime.errors import SigmaError
from runtime.settings import Settings
from runtime.topics import apply_topics
from schemas import topics
from schemas.topics import TopicSpec
from validator.changelog import ChangelogRecord

CONFIG = {"cleanup.policy": "compact"}


def name(prefix: str, group: str) -> str:
    """The changelog topic of validator group ``group`` under topic ``prefix``."""
    return f"{prefix}{topics.CHANGELOGS}{group}"


def ensure(settings: Settings, topic: str, partitions: int) -> None:
    """Create the changelog ``topic`` with ``partitions`` partitions unless it exists; one with another count is
    an error (its partition n would not hold input partition n's cases)."""
    [result] = apply_topics(settings, [spec(topic, partitions)])
    if result.partitions != partitions:
        raise SigmaError(f"changelog topic {topic} has {result.partitions} partitions, the chain topics "
                         f"{partitions}", fix=f"delete {topic} (the group's state is rebuilt from the chain topics "
                         "when the group's offsets are reset too) or give the chain topics as many partitions")


def spec(name: str, partitions: int) -> TopicSpec:
    """The changelog topic ``name`` with ``partitions`` partitions (the chain topics' count)."""
    return TopicSpec(name, partitions, "The validator's state: one record per open case and per input partition "
                     "(compacted, keyed by case; validator.changelog)", dict(CONFIG))


def write(producer: KafkaProducer, topic: str, records: Iterable[ChangelogRecord]) -> int:
    """Send ``records`` to their partitions of ``topic`` and wait until every one is acknowledged; returns how
    many. A refused record is an error: the changelog must not silently lack a case's state."""
    sent: list[Any] = [producer.send(topic, key=r.key, value=r.value, partition=r.partition) for r in records]
    producer.flush()
    failed = [f for f in sent if f.failed()]
    if failed:
        raise SigmaError(f"{len(failed)} of {len(sent)} changelog records were refused by the broker: "
                         f"{type(failed[0].exception).__name__}", fix="check the changelog topic and the broker")
    return len(sent)


def read(consumer: KafkaConsumer, partitions: list[TopicPartition]) -> Iterator[ChangelogRecord]:
    """Every record of ``partitions`` of the changelog from the earliest offset up to the end offsets seen now,
    in offset order per partition (what ``validator.changelog.restore`` takes)."""
    for batch in batches_until(consumer, rewind(consumer, partitions)):
        for msg in batch:
            yield ChangelogRecord(msg.partition, msg.key, msg.value)
