"""``sigma dlq list``: what sits in the dead-letter topic, by original topic, stage and error code.

Only headers are read (never a key or value is shown), so the summary can be pasted into a ticket: it
tells an integration engineer which partner topic fails where, without personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from consumers.bounded import existing_partitions, read_from_start
from consumers.records import ConsumedRecord
from runtime import clients
from runtime.settings import Settings
from schemas import topics
from schemas.deadletters import REDRIVE_COUNT

Group = tuple[str, str, str]
"""(original topic, stage, error code)."""


def header_text(record: ConsumedRecord, name: str) -> str:
    """A header as text ("" when absent); dead-letter headers are ASCII by construction."""
    value = record.header(name)
    return value.decode(errors="replace") if value is not None else ""


def group_of(record: ConsumedRecord) -> Group:
    """Where a dead letter came from and why it failed."""
    return header_text(record, "dlq_topic"), header_text(record, "dlq_stage"), header_text(record, "dlq_error_code")


@dataclass
class LetterGroup:
    """Dead letters of one (topic, stage, code): how many, when (dead-letter timestamps), redrives so far."""

    count: int = 0
    first_ms: int = 0
    last_ms: int = 0
    most_redriven: int = 0
    paths: set[str] = field(default_factory=set)


@dataclass
class DeadLetterSummary:
    """The groups, and how many letters the filters left out."""

    groups: dict[Group, LetterGroup] = field(default_factory=dict)
    skipped: int = 0

    def add(self, record: ConsumedRecord) -> None:
        """Count one dead letter in its group."""
        entry = self.groups.get(key := group_of(record))
        if entry is None:
            entry = self.groups[key] = LetterGroup(first_ms=record.timestamp, last_ms=record.timestamp)
        entry.count += 1
        entry.first_ms = min(entry.first_ms, record.timestamp)
        entry.last_ms = max(entry.last_ms, record.timestamp)
        count = header_text(record, REDRIVE_COUNT)
        entry.most_redriven = max(entry.most_redriven, int(count) if count.isdigit() else 0)
        if path := header_text(record, "dlq_json_path"):
            entry.paths.add(path)


def list_dead_letters(settings: Settings, *, keep: Callable[[ConsumedRecord], bool]) -> DeadLetterSummary:
    """Summarise the whole dead-letter topic as it is now (reads to the end offsets seen at start)."""
    dlq = settings.topic_prefix + topics.DLQ
    consumer = clients.consumer(settings)
    summary = DeadLetterSummary()
    try:
        for record in read_from_start(consumer, existing_partitions(consumer, [dlq])):
            if keep(record):
                summary.add(record)
            else:
                summary.skipped += 1
    finally:
        consumer.close(autocommit=False)
    return summary
