"""Dead-letter headers: the original headers first, then where and why, so redrive can restore the original."""

from __future__ import annotations

from typing import Any

import pytest

from consumers.dlq import DeadLetterWriter, dead_letter, dead_letter_headers, original_headers
from consumers.records import ConsumedRecord
from schemas.deadletters import TRUNCATED

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


def _letter_size(letter: Any) -> int:
    return (len(letter.key or b"") + len(letter.value or b"")
            + sum(len(k.encode()) + len(v) + 10 for k, v in letter.headers))


def test_a_letter_that_fits_is_the_record_unchanged() -> None:
    letter = dead_letter(RECORD, stage="decode", code="not-avro", reason="r")
    assert (letter.key, letter.value, letter.timestamp_ms) == (RECORD.key, RECORD.value, RECORD.timestamp)
    assert TRUNCATED not in dict(letter.headers)


def test_a_letter_too_large_is_cut_value_first_and_says_so() -> None:
    big = RECORD._replace(value=b"v" * 2_000)
    letter = dead_letter(big, stage="decode", code="not-avro", reason="r", limit=1_000)
    assert _letter_size(letter) <= 1_000 and letter.value == b"v" * len(letter.value) and letter.value
    assert letter.key == RECORD.key and original_headers(letter.headers) == RECORD.headers
    assert dict(letter.headers)[TRUNCATED] == b"value=2000"
    assert dict(letter.headers)["dlq_offset"] == b"41" and dict(letter.headers)["dlq_topic"] == b"chain.ind.decision"


def test_headers_then_the_key_are_dropped_when_the_value_alone_is_not_enough() -> None:
    heavy = RECORD._replace(headers=[("h", b"x" * 900)], value=b"v" * 50)
    letter = dead_letter(heavy, stage="decode", code="not-avro", reason="r", limit=600)
    assert _letter_size(letter) <= 600 and original_headers(letter.headers) == [] and letter.value == b"v" * 50
    assert dict(letter.headers)[TRUNCATED] == b"headers=1"
    huge_key = RECORD._replace(key=b"k" * 5_000)
    letter = dead_letter(huge_key, stage="decode", code="not-avro", reason="r", limit=600)
    assert _letter_size(letter) <= 600 and letter.key is not None and len(letter.key) < 5_000
    assert dict(letter.headers)[TRUNCATED] == b"value=5,headers=3,key=5000"


def test_redrive_refuses_letters_that_are_not_the_whole_original() -> None:
    from consumers.redrive import whole

    def as_record(letter: Any) -> ConsumedRecord:
        return RECORD._replace(key=letter.key, value=letter.value, headers=letter.headers)

    assert whole(as_record(dead_letter(RECORD, stage="decode", code="not-avro", reason="r")))
    assert not whole(as_record(dead_letter(RECORD._replace(value=b"v" * 2000), stage="decode", code="not-avro",
                                           reason="r", limit=1000)))
    assert not whole(as_record(dead_letter(RECORD, stage="decode", code="unreadable-batch", reason="r")))
