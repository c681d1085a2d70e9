"""Record filters shared by replay and redrive: ``topic=REGEX``, ``case=KEY``, ``partner=NAME``,
``from=TIME``, ``until=TIME`` (ISO 8601, or milliseconds since the epoch), and for dead letters
``code=ERROR_CODE`` and ``stage=STAGE``."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from consumers.records import ConsumedRecord
from runtime.errors import UsageError
from schemas.deadletters import STAGES

RecordFilter = Callable[[ConsumedRecord], bool]
KEYS = ("topic", "case", "partner", "from", "until", "code", "stage")


def parse_time(text: str) -> int:
    """Milliseconds since the epoch from ISO 8601 (UTC when no zone) or an integer."""
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"cannot read time {text!r}", fix="use ISO 8601 (2026-05-01T12:00:00Z) or epoch ms") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _partner(record: ConsumedRecord) -> str | None:
    source = record.header("ce_source")
    parts = source.decode(errors="replace").split("/") if source else []
    return parts[2] if len(parts) > 2 and parts[1] == "nl" else None


def _one(key: str, value: str, topic_of: Callable[[ConsumedRecord], str]) -> RecordFilter:
    """The predicate of one ``key=value`` filter."""
    if key == "topic":
        pattern = re.compile(value)
        return lambda r: pattern.fullmatch(topic_of(r)) is not None
    if key == "case":
        wanted = value.encode()
        return lambda r: r.key == wanted
    if key == "partner":
        return lambda r: _partner(r) == value
    if key == "stage" and value not in STAGES:  # a typo would silently match nothing
        raise UsageError(f"bad filter 'stage={value}'", fix=f"use one of {', '.join(STAGES)}")
    if key in ("code", "stage"):
        header = "dlq_error_code" if key == "code" else "dlq_stage"
        expected = value.encode()
        return lambda r: r.header(header) == expected
    moment = parse_time(value)
    if key == "from":
        return lambda r: r.timestamp >= moment
    return lambda r: r.timestamp <= moment


def build(specs: Sequence[str], *, topic_of: Callable[[ConsumedRecord], str] = lambda r: r.topic) -> RecordFilter:
    """One predicate from ``key=value`` filters (all must hold); ``topic_of`` names the topic to match."""
    tests: list[RecordFilter] = []
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not sep or key not in KEYS:
            raise UsageError(f"bad filter {spec!r}", fix=f"use KEY=VALUE with KEY one of {', '.join(KEYS)}")
        try:
            tests.append(_one(key, value, topic_of))
        except re.error as exc:
            raise UsageError(f"bad filter {spec!r}: {exc}", fix="give a valid regular expression") from None
    return lambda record: all(test(record) for test in tests)
