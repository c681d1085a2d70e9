"""Offline validation reads the same with or without the native hot paths (``sigma_native``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from bench.streams import chain_records
from consumers.recording import RecordingWriter
from schemas import fastread, native
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
        f"{native.UNUSED.why}: the recording is read in pure Python, at about half the speed"]
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
        ("sigma_native is not installed: the recording is read in pure Python, at about half the speed",
         "run `make venv`")]
