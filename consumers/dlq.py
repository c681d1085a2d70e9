"""Dead letters: the original record, unchanged, plus headers saying where and why it failed.

Why keep the original key, value, headers and timestamp: after a fix, ``sigma dlq redrive`` must be able
to send exactly what the partner sent back to where it came from. The ``dlq_*`` headers let an
integration engineer see which stage and which field failed without decoding anything.
"""

from __future__ import annotations

from typing import Any

from kafka import KafkaProducer

from consumers.records import ConsumedRecord, Headers

STAGES = ("decode", "validate", "semantic", "process")
"""Where a record failed: framing/bytes, schema validation, chain semantics, or our own processing."""
REASON_LIMIT = 300
DLQ_PREFIX = "dlq_"
REDRIVE_COUNT = "dlq_redrive_count"


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


def original_headers(headers: Headers) -> Headers:
    """The headers as the partner sent them (without any ``dlq_*`` header)."""
    return [(k, v) for k, v in headers if not k.startswith(DLQ_PREFIX)]


class DeadLetterWriter:
    """Sends failed records to the dead-letter topic with the original key, value and timestamp."""

    def __init__(self, producer: KafkaProducer, topic: str) -> None:
        self._producer = producer
        self.topic = topic
        self.sent = 0

    def send(self, record: ConsumedRecord, *, stage: str, code: str, reason: str, path: str | None = None) -> Any:
        """Produce the dead letter; returns the producer's future."""
        headers = dead_letter_headers(record, stage=stage, code=code, reason=reason, path=path)
        self.sent += 1
        return self._producer.send(
            self.topic, key=record.key, value=record.value, headers=headers,
            timestamp_ms=record.timestamp if record.timestamp >= 0 else None,
        )

    def flush(self) -> None:
        """Block until every dead letter sent so far is acknowledged."""
        self._producer.flush()
