"""Replay and redrive filters: each key selects what its help text says; a bad filter is a usage error."""

from __future__ import annotations

import pytest

from consumers.filters import build, parse_time
from consumers.records import ConsumedRecord
from runtime.errors import UsageError


def rec(topic: str = "chain.a", key: bytes | None = b"ck_1", ts: int = 1_000, source: bytes | None = None,
        code: bytes | None = None) -> ConsumedRecord:
    headers = [("ce_source", source)] if source is not None else []
    headers += [("dlq_error_code", code), ("dlq_stage", b"decode")] if code is not None else []
    return ConsumedRecord(topic, 0, 0, ts, 0, key, b"v", headers)


def test_time_is_iso_or_epoch_ms() -> None:
    assert parse_time("1700000000000") == 1_700_000_000_000
    assert parse_time("2023-11-14T22:13:20Z") == 1_700_000_000_000
    assert parse_time("2023-11-14T22:13:20") == 1_700_000_000_000
    with pytest.raises(UsageError, match="cannot read time 'yesterday'"):
        parse_time("yesterday")


def test_each_filter_selects_its_records() -> None:
    assert build(["topic=chain\\.a"])(rec()) and not build(["topic=chain"])(rec())
    assert build(["case=ck_1"])(rec()) and not build(["case=ck_1"])(rec(key=None))
    assert build(["partner=kmar"])(rec(source=b"/nl/kmar/bvv")) and not build(["partner=kmar"])(rec(source=b"/x"))
    assert build(["from=1000", "until=1000"])(rec()) and not build(["from=1001"])(rec())
    assert build(["code=not-avro", "stage=decode"])(rec(code=b"not-avro"))
    assert not build(["code=not-avro"])(rec())


def test_topic_of_lets_redrive_match_the_original_topic() -> None:
    original = build(["topic=chain\\.b"], topic_of=lambda r: "chain.b")
    assert original(rec(topic="chain.dlq"))


@pytest.mark.parametrize("spec", ["colour=red", "case", "topic=("])
def test_bad_filters_are_usage_errors(spec: str) -> None:
    with pytest.raises(UsageError, match="bad filter"):
        build([spec])
