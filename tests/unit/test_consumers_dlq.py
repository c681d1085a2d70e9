"""Dead-letter headers: the original headers first, then where and why, so redrive can restore the original."""

from __future__ import annotations

from typing import Any

import pytest

from consumers.dlq import DeadLetterWriter, dead_letter_headers, original_headers
from consumers.records import ConsumedRecord

RECORD = ConsumedRecord("chain.ind.decision", 2, 41, 1_700_000_000_000, 0, b"ck_1", b"\x00body",
                        [("ce_type", b"t"), ("dup", b"1"), ("dup", b"2")])


def test_headers_keep_the_original_ones_first_then_the_failure() -> None:
    headers = dead_letter_headers(RECORD, stage="validate", code="missing-field", reason="r", path="$.data.x")
    assert headers == [
        ("ce_type", b"t"), ("dup", b"1"), ("dup", b"2"),
        ("dlq_stage", b"validate"), ("dlq_error_code", b"missing-field"), ("dlq_json_path", b"$.data.x"),
        ("dlq_reason", b"r"), ("dlq_topic", b"chain.ind.decision"), ("dlq_partition", b"2"),
        ("dlq_offset", b"41"), ("dlq_timestamp", b"1700000000000"), ("dlq_timestamp_type", b"0"),
    ]
    assert original_headers(headers) == RECORD.headers


def test_json_path_only_when_given_and_reason_truncated() -> None:
    headers = dict(dead_letter_headers(RECORD, stage="decode", code="not-avro", reason="x" * 1000))
    assert "dlq_json_path" not in headers
    assert headers["dlq_reason"] == b"x" * 300


def test_unknown_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dead-letter stage 'parse'"):
        dead_letter_headers(RECORD, stage="parse", code="c", reason="r")


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.flushed = False

    def send(self, topic: str, **kwargs: Any) -> str:
        self.sent.append((topic, kwargs))
        return "future"

    def flush(self) -> None:
        self.flushed = True


def test_writer_sends_the_original_key_value_and_timestamp() -> None:
    producer = FakeProducer()
    writer = DeadLetterWriter(producer, "chain.dlq")
    assert writer.send(RECORD, stage="semantic", code="late", reason="too late") == "future"
    writer.flush()
    topic, sent = producer.sent[0]
    assert topic == "chain.dlq" and producer.flushed
    assert (sent["key"], sent["value"], sent["timestamp_ms"]) == (b"ck_1", b"\x00body", 1_700_000_000_000)
    assert sent["headers"] == dead_letter_headers(RECORD, stage="semantic", code="late", reason="too late")
