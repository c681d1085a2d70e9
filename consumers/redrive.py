"""``sigma dlq redrive``: send dead letters back to their original topic after a fix — once, not in a loop.

Each redriven record carries the partner's original headers plus ``dlq_redrive_count``; a letter that has
already been redriven ``max_redrives`` times is refused (a record that can never pass would otherwise
circle between the topic and the DLQ forever). The run reads the DLQ with its own group up to the end
offsets seen at start and commits only after every send is acknowledged, so a second run starts after
what the first one handled, and a failed run can simply be repeated. Letters a ``--filter`` left behind
stay for a later run (``redrive_progress``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka.structs import OffsetAndMetadata

from consumers import redrive_progress as progress
from consumers.bounded import existing_partitions, read_until
from consumers.deadletters import Group, group_of, header_text
from consumers.dlq import original_headers
from consumers.records import ConsumedRecord
from runtime import clients
from runtime.errors import SigmaError
from runtime.poison import UNREADABLE
from runtime.settings import Settings
from schemas import topics
from schemas.deadletters import REDRIVE_COUNT, TRUNCATED

GROUP = "sigma-dlq-redrive"


@dataclass
class RedriveSummary:
    """Per (original topic, stage, code): how many were (or would be) sent, and refused; and filtered out."""

    sent: Counter[Group] = field(default_factory=Counter)
    refused: Counter[Group] = field(default_factory=Counter)
    skipped: int = 0
    dry_run: bool = False
    passed_over: int = 0
    """Filtered-out letters a later redrive will no longer see (only when too many were left behind)."""


def redrive(settings: Settings, *, keep: Callable[[ConsumedRecord], bool], max_redrives: int = 3,
            dry_run: bool = False, group: str = GROUP) -> RedriveSummary:
    """Redrive the dead letters that arrived since the last run (up to the end seen at start)."""
    summary = RedriveSummary(dry_run=dry_run)
    dlq = settings.topic_prefix + topics.DLQ
    consumer = clients.consumer(settings, group_id=group)
    producer = None if dry_run else clients.producer(settings)
    failures: list[str] = []
    try:
        partitions = existing_partitions(consumer, [dlq])
        consumer.assign(partitions)
        handled: dict[int, set[int]] = {}
        left: dict[int, list[int]] = {tp.partition: [] for tp in partitions}
        for tp in partitions:
            committed = consumer.committed(tp, metadata=True)
            if committed is None:
                consumer.seek_to_beginning(tp)
                handled[tp.partition] = set()
            else:
                consumer.seek(tp, committed.offset)
                handled[tp.partition] = progress.handled_after(committed.offset, committed.metadata)
        end = consumer.end_offsets(partitions)
        for record in read_until(consumer, end):
            done = handled[record.partition]
            if record.offset in done:
                continue  # sent or refused by an earlier filtered run
            if _one(record, producer, summary, keep, max_redrives, failures):
                done.add(record.offset)
            else:
                left[record.partition].append(record.offset)
        if producer is not None:
            producer.flush()
            if failures:
                raise SigmaError(f"{len(failures)} of {sum(summary.sent.values())} redriven records were not "
                                 f"delivered ({failures[0]}); offsets not committed, nothing is lost",
                                 fix="check the cluster and run the redrive again")
            commits = {tp: progress.next_commit(end[tp], handled[tp.partition], left[tp.partition])
                       for tp in partitions}
            summary.passed_over = sum(c.passed_over for c in commits.values())
            consumer.commit({tp: OffsetAndMetadata(c.offset, c.metadata, -1) for tp, c in commits.items()})
    finally:
        if producer is not None:
            producer.close()
        consumer.close(autocommit=False)
    return summary


def redrive_count(record: ConsumedRecord) -> int | None:
    """How often a letter was redriven already (0 when never); None when the header is not a number."""
    text = header_text(record, REDRIVE_COUNT) or "0"
    return int(text) if text.isdigit() else None


def whole(record: ConsumedRecord) -> bool:
    """Whether the letter holds the original record: not one stored truncated (``dlq_truncated``) nor the
    bytes of a batch that could not be read (``unreadable-batch``); those are refused, never sent back."""
    return record.header(TRUNCATED) is None and header_text(record, "dlq_error_code") != UNREADABLE


def _one(record: ConsumedRecord, producer: Any, summary: RedriveSummary, keep: Callable[[ConsumedRecord], bool],
         max_redrives: int, failures: list[str]) -> bool:
    """Send (or, in a dry run, count) one dead letter; refuse it past the redrive limit.

    Returns whether the letter is handled for good (sent, refused, or without an original topic to go
    back to); False when the filter left it for a later run.
    """
    group = group_of(record)
    if not group[0]:
        summary.skipped += 1
        return True
    if not keep(record):
        summary.skipped += 1
        return False
    count = redrive_count(record)
    if count is None or count >= max_redrives or not whole(record):
        summary.refused[group] += 1
        return True
    summary.sent[group] += 1
    if producer is None:
        return True
    headers = [*original_headers(record.headers), (REDRIVE_COUNT, str(count + 1).encode())]
    future = producer.send(group[0], key=record.key, value=record.value, headers=headers)
    future.add_errback(lambda exc: failures.append(type(exc).__name__))
    return True
