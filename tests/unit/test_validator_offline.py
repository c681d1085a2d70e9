"""Offline validation reads the same with or without the native hot paths (``sigma_native``)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from bench.streams import chain_records
from consumers.recording import RecordingWriter
from consumers.records import ConsumedRecord
from schemas import fastread, native
from schemas.codec import AvroSerializer, Deserializer, JsonSerializer
from schemas.envelope import to_record
from validator.engine import Engine
from validator.offline import validate_recording


def _salted(tmp_path: Path) -> Path:
    """A small simulation plus records the native readers must leave to Python: a cut value, bytes left over,
    garbage, no key; and a last byte changed to 0xFF, which fastavro reads as a boolean true (leniently: the
    native reader declines it), so it stays valid and is dead-lettered as a conflict: the first record's event
    id with other content."""
    records = chain_records(300)
    first = records[0]
    bad = [first._replace(value=first.value[:-3]), first._replace(value=first.value + b"\x00\x01"),
           first._replace(value=b"\xc3\x01garbage"), first._replace(key=None),
           first._replace(value=first.value[:-1] + b"\xff")]
    path = tmp_path / "salted.jsonl"
    with RecordingWriter(path, {"cluster": "test"}) as writer:
        for record in records + bad:
            writer.write(record)
    return path


def _run(path: Path) -> tuple[list[dict[str, object]], dict[str, int], dict[str, object], list[dict[str, object]]]:
    with capture_logs() as logs:
        engine = validate_recording(path, Engine())
    return ([v.to_json() for v in engine.verdicts()], engine.state.counters.to_json(), engine.rejection_summary(),
            logs)


def test_a_salted_recording_is_validated_with_one_warning_when_python_reads_it(tmp_path: Path) -> None:
    """On the readers in use: the native ones, or (``make test`` runs this again with SIGMA_NATIVE=0) Python's."""
    verdicts, counters, rejections, logs = _run(_salted(tmp_path))
    assert len(verdicts) > 50 and counters["dead_lettered"] == 5 and rejections["event-id-conflict"] == 1
    warned = [] if native.UNUSED is None else [
        f"{native.UNUSED.why}: the recording is read in pure Python, at about 40% of the speed"]
    assert [e["event"] for e in logs] == warned


@pytest.mark.native
def test_the_same_report_without_the_native_module_and_a_warning_saying_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _salted(tmp_path)
    verdicts, counters, rejections, logs = _run(path)
    assert not logs
    assert len(verdicts) > 50 and counters["dead_lettered"] == 5
    assert rejections["event-id-conflict"] == 1

    monkeypatch.setattr(native, "UNUSED", native.Unused("sigma_native is not installed", "run `make venv`"))
    assert fastread.body_reader({"type": "string"}) is None  # fastavro reads everything now
    python = _run(path)
    assert python[:3] == (verdicts, counters, rejections)
    assert [(e["event"], e["fix"]) for e in python[3]] == [
        ("sigma_native is not installed: the recording is read in pure Python, at about 40% of the speed",
         "run `make venv`")]


BREAKING = [("bag_count", 25), ("bag_count", -1), ("event_id", "not-a-uuid"), ("case_key", "ck_bad"),
            ("photo_ref", "p" * 65), ("total_weight_kg", 900.0), ("total_weight_kg", float("nan")), ("height_cm", 10),
            ("flight_number", "X"), ("country", "nl"), ("case_key", "ck_" + "g" * 24), ("escort_count", 99)]
"""Values breaking the message book's constraints (patterns, lengths, ranges), for the fields that have them."""


def _faulty(tmp_path: Path) -> Path:
    """A simulation's records, one in five faulty in one of the ways a partner's system may break the contract:
    a constraint broken (in Avro or JSON), a byte changed or the value cut, a header dropped, doubled, swapped
    for another record's, or joined by a ``ce_`` header, headers reordered, another partition, key or topic,
    a record sent twice, or again with other content."""
    rng = random.Random(5)
    decode, codecs = Deserializer(), [AvroSerializer(), JsonSerializer()]
    out: list[ConsumedRecord] = []
    for record in chain_records(400):
        event = decode(record.value)
        field, bad = rng.choice(BREAKING)
        if rng.random() < 0.05 and field in type(event).model_fields:
            event = type(event).model_construct(**(event.__dict__ | {field: bad}))
        made = to_record(event, codecs[rng.random() < 0.1])
        record = record._replace(value=made.value, headers=list(made.headers))
        value, headers = bytearray(record.value), record.headers
        kind = rng.randrange(60)
        faulty: list[Any] = {
            0: [record._replace(value=bytes(value[:-3]))],
            1: [record._replace(headers=headers[1:])],
            2: [record._replace(headers=[*headers, headers[3]])],
            3: [record._replace(headers=[*reversed(headers), ("traceparent", b"00-1")])],
            4: [record._replace(headers=[("ce_subject", b"x"), *headers])],
            5: [record._replace(partition=(record.partition + 1) % 6)],
            6: [record._replace(key=out[-1].key if out else None)],
            7: [record._replace(topic=out[-1].topic if out else "chain.case")],
            8: [record, record],
            9: [record._replace(headers=[(k, dict(out[-1].headers).get(k, v) if out else v) for k, v in headers])],
        }.get(kind, [record])
        if kind == 10:
            changed = rng.randrange(10, len(value))
            value[changed] = (value[changed] + 1) % 256
            faulty = [record, record._replace(value=bytes(value))]
        out += [r._replace(offset=len(out) + i) for i, r in enumerate(faulty)]
    path = tmp_path / "faulty.jsonl"
    with RecordingWriter(path, {"cluster": "test"}) as writer:
        for record in out:
            writer.write(record)
    return path


def _judged(path: Path) -> tuple[list[tuple[Any, ...]], list[dict[str, object]], dict[str, int]]:
    rejected: list[tuple[Any, ...]] = []
    engine = validate_recording(path, Engine(), rejected=lambda r, x: rejected.append(
        (r.offset, x.stage, x.code, x.reason, x.path, x.header)))
    return rejected, [v.to_json() for v in engine.verdicts()], engine.state.counters.to_json()


@pytest.mark.native
def test_every_contract_fault_gets_the_same_verdict_with_and_without_the_native_module(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Record by record, the same dead letters (stage, code, reason, path, header) and the same report from
    the native readers (which check constraints and read record lines themselves, and decline what they
    doubt) and from Python's alone."""
    path = _faulty(tmp_path)
    ours = _judged(path)
    codes = {code for _, _, code, *_ in ours[0]}
    assert {"schema-invalid", "bad-case-key", "truncated", "missing-header", "bad-header", "header-mismatch",
            "wrong-partition", "key-mismatch", "wrong-topic", "event-id-conflict"} <= codes
    assert ours[2]["duplicates"] > 0 and ours[2]["processed"] > 3000
    monkeypatch.setattr(native, "UNUSED", native.Unused("sigma_native is not installed", "run `make venv`"))
    assert _judged(path) == ours
