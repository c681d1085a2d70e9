"""``sigma dlq redrive``: send dead letters back to their original topic after a fix — once, not in a loop.

Each redriven record carries ``dlq_redrive_count``; a letter that has already been redriven
``max_redrives`` times is refused. The redrive group commits only after the sends are acknowledged, so a
second run starts after what the first one handled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from consumers.dlq import REDRIVE_COUNT, original_headers
from consumers.records import ConsumedRecord
from schemas import topics
from sigma import clients
from sigma.errors import SigmaError
from sigma.settings import Settings

GROUP = "sigma-dlq-redrive"


@dataclass
class RedriveSummary:
    """Per (original topic, stage, code): how many were (or would be) sent, refused, or filtered out."""

    sent: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    refused: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    skipped: int = 0
    dry_run: bool = False


def _text(record: ConsumedRecord, name: str) -> str:
    value = record.header(name)
    return value.decode(errors="replace") if value is not None else ""


def redrive(settings: Settings, *, keep: Callable[[ConsumedRecord], bool], max_redrives: int = 3,
            dry_run: bool = False, group: str = GROUP) -> RedriveSummary:
    """Redrive the dead letters that arrived since the last run (up to the end seen at start)."""
    summary = RedriveSummary(dry_run=dry_run)
    dlq = settings.topic_prefix + topics.DLQ
    consumer = clients.consumer(settings, group_id=group)
    producer = None if dry_run else clients.producer(settings)
    failures: list[str] = []
    try:
        found = consumer.partitions_for_topic(dlq)
        if not found:
            raise SigmaError(f"topic {dlq} does not exist", fix="run `sigma topics apply` (same SIGMA_TOPIC_PREFIX)")
        partitions = [TopicPartition(dlq, p) for p in sorted(found)]
        consumer.assign(partitions)
        for tp in partitions:
            committed = consumer.committed(tp)
            if committed is None:
                consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed)
        end = consumer.end_offsets(partitions)
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            for batch in consumer.poll(timeout_ms=200, max_records=2000).values():
                for msg in batch:
                    if msg.offset >= end[TopicPartition(msg.topic, msg.partition)]:
                        continue
                    _one(ConsumedRecord.from_kafka(msg), producer, summary, keep, max_redrives, failures)
        if producer is not None:
            producer.flush()
            if failures:
                raise SigmaError(f"{len(failures)} redriven records were not delivered ({failures[0]}); "
                                 "offsets not committed", fix="check the cluster and run the redrive again")
            consumer.commit({tp: OffsetAndMetadata(consumer.position(tp), "", -1) for tp in partitions})
    finally:
        if producer is not None:
            producer.close()
        consumer.close(autocommit=False)
    return summary


def _one(record: ConsumedRecord, producer: Any, summary: RedriveSummary, keep: Callable[[ConsumedRecord], bool],
         max_redrives: int, failures: list[str]) -> None:
    topic = _text(record, "dlq_topic")
    if not topic or not keep(record):
        summary.skipped += 1
        return
    group = (topic, _text(record, "dlq_stage"), _text(record, "dlq_error_code"))
    count = int(_text(record, REDRIVE_COUNT) or 0)
    if count >= max_redrives:
        summary.refused[group] += 1
        return
    summary.sent[group] += 1
    if producer is None:
        return
    headers = [*original_headers(record.headers), (REDRIVE_COUNT, str(count + 1).encode())]
    future = producer.send(topic, key=record.key, value=record.value, headers=headers)
    future.add_errback(lambda exc: failures.append(type(exc).__name__))
