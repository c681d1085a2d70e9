"""Dead letters: the original record, unchanged, plus headers saying where and why it failed.

The headers, their order and the stages are the message book's (``schemas.deadletters``, which documents them).

Why keep the original key, value, headers and timestamp: after a fix, ``sigma dlq redrive`` must be able
to send exactly what the partner sent back to where it came from. The ``dlq_*`` headers let an
integration engineer see which stage and which field failed without decoding anything.

A letter that would not fit in one produce request (a record near the size limit, plus the ``dlq_*``
headers) is stored truncated rather than not at all: the value is cut first, then the original headers
dropped, then the key cut, and ``dlq_truncated`` says what was cut and how large it was. Its origin headers
still name the original record, which stays readable in its own topic until retention removes it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kafka import KafkaProducer

from consumers.records import ConsumedRecord, Headers
from schemas.deadletters import PREFIX, REASON_LIMIT, STAGES, TRUNCATED

LETTER_LIMIT = 1_000_000
"""Bytes of key, value and headers a letter may take: below kafka-python's ``max_request_size`` and Kafka's
default ``max.message.bytes`` (both about 1 MiB), with room for the batch and record framing."""
_PER_HEADER = 10
"""Framing bytes per header (two length varints), counted generously."""


def dead_letter_headers(
    record: ConsumedRecord, *, stage: str, code: str, reason: str, path: str | None = None
) -> Headers:
    """The original headers followed by the ``dlq_*`` headers describing the failure and the origin."""
    if stage not in STAGES:
        raise ValueError(f"unknown dead-letter stage {stage!r}; expected one of {', '.join(STAGES)}")
    extra: Headers = [("dlq_stage", stage.encode()), ("dlq_error_code", code.encode())]
    if path is not None:
        extra.append(("dlq_json_path", path.encode()))
    extra += [
        ("dlq_reason", reason[:REASON_LIMIT].encode()),
        ("dlq_topic", record.topic.encode()),
        ("dlq_partition", str(record.partition).encode()),
        ("dlq_offset", str(record.offset).encode()),
        ("dlq_timestamp", str(record.timestamp).encode()),
        ("dlq_timestamp_type", str(record.timestamp_type).encode()),
    ]
    return [*record.headers, *extra]


class Letter(NamedTuple):
    """A dead letter ready to send."""

    key: bytes | None
    value: bytes | None
    headers: Headers
    timestamp_ms: int | None


def _size(headers: Headers) -> int:
    return sum(len(k.encode()) + len(v) + _PER_HEADER for k, v in headers)


def dead_letter(record: ConsumedRecord, *, stage: str, code: str, reason: str, path: str | None = None,
                limit: int = LETTER_LIMIT) -> Letter:
    """The letter for ``record``: its key, value and headers plus the ``dlq_*`` headers, cut to ``limit``."""
    headers = dead_letter_headers(record, stage=stage, code=code, reason=reason, path=path)
    timestamp = record.timestamp if record.timestamp >= 0 else None
    key, value = record.key or b"", record.value or b""
    if len(key) + len(value) + _size(headers) <= limit:
        return Letter(record.key, record.value, headers, timestamp)
    cut: dict[str, int] = {}
    room = limit - _size(headers) - len(key) - 64  # 64: the dlq_truncated header itself
    if room < 0:
        cut["headers"] = len(record.headers)
        headers = headers[len(record.headers):]
        room = limit - _size(headers) - len(key) - 64
    if room < 0:
        cut["key"] = len(key)
        key = key[:max(room + len(key), 0)]
        room = 0
    if len(value) > room:
        cut = {"value": len(value), **cut}
        value = value[:room]
    headers = [*headers, (TRUNCATED, ",".join(f"{part}={size}" for part, size in cut.items()).encode())]
    return Letter(key if record.key is not None else None, value, headers, timestamp)


def original_headers(headers: Headers) -> Headers:
    """The headers as the partner sent them (without any ``dlq_*`` header)."""
    return [(k, v) for k, v in headers if not k.startswith(PREFIX)]


class DeadLetterWriter:
    """Sends failed records to the dead-letter topic with the original key, value and timestamp."""

    def __init__(self, producer: KafkaProducer, topic: str) -> None:
        self._producer = producer
        self.topic = topic
        self.sent = 0

    def send(self, record: ConsumedRecord, *, stage: str, code: str, reason: str, path: str | None = None) -> Any:
        """Produce the dead letter; returns the producer's future."""
        letter = dead_letter(record, stage=stage, code=code, reason=reason, path=path)
        self.sent += 1
        return self._producer.send(self.topic, key=letter.key, value=letter.value, headers=letter.headers,
                                   timestamp_ms=letter.timestamp_ms)

    def flush(self) -> None:
        """Block until every dead letter sent so far is acknowledged."""
        self._producer.flush()
