"""The validator's changelog: a state written as records and restored from them judges, reports and recognises
duplicates as the original does; an unknown format is refused in one line; no personal data goes in.

The broker round trip (a compacted topic, read back from its start) is in
``tests/integration/test_validator_changelog_kafka.py``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.streams import chain_records
from consumers.records import ConsumedRecord
from schemas.codec import Deserializer
from schemas.placement import kafka_partition
from validator import changelog
from validator import changelog_schema as files
from validator.dossier import KEPT_FIELDS
from validator.engine import Engine, EngineState
from validator.report.model import build_report
from validator.revision import Decided

POLL = 2000
GRACE_HOURS = 168.0


def _report(engine: Engine) -> dict[str, object]:
    return build_report(engine.verdicts(), engine.state.counters, checkpoint_hours=48,
                        dead_letters=engine.rejection_summary(), unknown_cases=engine.unknown_cases(),
                        late_deliveries=engine.late_deliveries())


def _with_bad_records(records: list[ConsumedRecord]) -> list[ConsumedRecord]:
    """The stream with a record without key, one on the wrong partition and a conflicting re-send mixed in,
    so that the partitions' tallies hold dead letters of several codes, a case never handed over, and events
    delivered long after they were recorded (late deliveries)."""
    orphan = next(i for i, r in enumerate(records) if r.topic.endswith("handover") and i > 0)
    late = set(range(1500, 3000, 150))
    records = [r for i, r in enumerate(records) if i != orphan and i not in late] + [records[i] for i in sorted(late)]
    first, middle = records[0], records[len(records) // 2]
    bad = [first._replace(offset=10**6, key=None),
           middle._replace(offset=10**6 + 1, partition=(middle.partition + 1) % 6),
           first._replace(offset=10**6 + 2, value=first.value[:-1] + bytes([first.value[-1] ^ 1]))]  # type: ignore[index]
    return records[:100] + bad[:2] + records[100:] + bad[2:]


def _fed(records: list[ConsumedRecord], grace: float | None = None) -> tuple[Engine, list[changelog.ChangelogRecord]]:
    """An engine fed ``records`` in polls, evicting after each as the online loop does, and the changelog
    records flushed after each poll (what a compacted topic would hold, before compaction)."""
    engine = Engine(eviction_grace_hours=grace)
    written = changelog.snapshot(engine.state, {})
    last = {(r.topic, r.partition): i for i, r in enumerate(records)}
    for start in range(0, len(records), POLL):
        for record in records[start:start + POLL]:
            engine.process(record)
        engine.advance(())
        engine.evict({where for where, i in last.items() if i >= start + POLL})
        written += changelog.flush(engine.state, {}, range(6))
    return engine, written


def _restored(written: Iterable[changelog.ChangelogRecord], grace: float | None = None) -> Engine:
    restored = changelog.restore(written)
    engine = Engine(state=restored.state, eviction_grace_hours=grace)
    engine.reschedule()
    return engine


@pytest.fixture(scope="module")
def stream() -> list[ConsumedRecord]:
    return _with_bad_records(chain_records(600))


def test_a_restored_state_is_the_original_and_judges_and_reports_the_same(stream: list[ConsumedRecord]) -> None:
    original, written = _fed(stream)
    restored = _restored(written)
    assert restored.state.dossiers == original.state.dossiers
    assert restored.state.progress == original.state.progress
    assert restored.state.watermark == original.state.watermark
    assert restored.state.tallies == original.state.tallies
    assert restored.verdicts() == original.verdicts() and len(original.verdicts()) > 50
    report = _report(restored)
    assert report == _report(original)
    assert report["dead_letters"] == {"event-id-conflict": 1, "no-key": 1, "wrong-partition": 1}
    assert any(d.delayed for d in original.state.dossiers.values()) and original.late_deliveries()


def test_a_restored_state_recognises_duplicates_and_conflicts_as_the_original(stream: list[ConsumedRecord]) -> None:
    original, written = _fed(stream)
    restored = _restored(written)
    again = stream[200:260]
    conflict = again[0]._replace(value=again[0].value[:-1] + bytes([again[0].value[-1] ^ 1]))  # type: ignore[index]
    for engine in (original, restored):
        rejected = engine.feed([*again, conflict])
        assert [r.code for _, r in rejected] == ["event-id-conflict"]
    assert restored.state.counters == original.state.counters
    assert restored.state.counters.duplicates == len(again)


def test_evicted_cases_are_tombstoned_and_the_rest_restores_with_every_count(stream: list[ConsumedRecord]) -> None:
    original, written = _fed(stream, GRACE_HOURS)
    assert original.state.evicted and original.state.evicted_unknown["cases"] and original.state.late_deliveries
    tombstones = {r.key.decode() for r in written if r.value is None}
    assert set(original.state.evicted) <= tombstones and not tombstones & set(original.state.dossiers)
    assert tombstones | set(original.state.dossiers) == {r.key.decode() for r in stream if r.key}
    restored = _restored(written, GRACE_HOURS)
    assert restored.state.dossiers == original.state.dossiers
    assert restored.state.counters == original.state.counters
    assert restored.state.evicted_unknown == original.state.evicted_unknown
    assert restored.late_deliveries() == original.late_deliveries()
    assert restored.rejection_summary() == original.rejection_summary()
    held = [v for v in original.verdicts() if v.case not in original.state.evicted]
    assert restored.verdicts() == held  # an evicted case's verdict is on the findings topic, not the changelog
    assert restored.state.evicted == {}
    assert restored.evict(set()) == original.evict(set())  # the restored schedule evicts the same cases


def test_a_subset_of_partitions_restores_exactly_their_cases_and_counts(stream: list[ConsumedRecord]) -> None:
    original, written = _fed(stream)
    mine = {0, 3, 4}
    for record in written:
        assert record.partition == kafka_partition(record.key, 6) or record.key.startswith(b"~")
    restored = _restored(r for r in written if r.partition in mine)
    assert restored.state.dossiers == {k: d for k, d in original.state.dossiers.items() if d.partition in mine}
    assert restored.state.counters.consumed == sum(original.state.tallies[p].consumed for p in mine)
    assert restored.state.progress == {w: at for w, at in original.state.progress.items() if w[1] in mine}


def test_published_findings_come_back_with_their_cases(stream: list[ConsumedRecord]) -> None:
    engine, written = _fed(stream)
    verdict = engine.verdicts()[0]
    decided = Decided(2, (("MED-001", "medical", "medical", "late"),), 7, verdict.checkpoint)
    engine.state.touched = {verdict.case: engine.state.dossiers[verdict.case].partition}  # the finding's hook
    written += changelog.flush(engine.state, {verdict.case: decided}, range(6))
    restored = changelog.restore(written)
    assert restored.published == {verdict.case: decided}


def test_a_record_of_an_unknown_format_version_is_refused_in_one_line(stream: list[ConsumedRecord]) -> None:
    engine, written = _fed(stream[:300])
    case = next(r for r in written if r.value is not None and not r.key.startswith(b"~"))
    assert case.value is not None
    other = case.value[:2] + bytes(8) + case.value[10:]
    with pytest.raises(changelog.ChangelogFormatError) as caught:
        changelog.restore([case._replace(value=other)])
    message = str(caught.value)
    assert "\n" not in message and "unknown format version" in message and "delete the changelog topic" in message
    with pytest.raises(changelog.ChangelogFormatError, match="does not decode"):
        changelog.restore([case._replace(value=case.value[:-3])])
    with pytest.raises(changelog.ChangelogFormatError, match="partition_state value under a case_state key"):
        changelog.restore([case._replace(value=changelog.encode_partition(engine.state, 0))])


def test_the_case_schema_file_is_what_the_dossier_keeps() -> None:
    """Keeping another field, or a kept field changing type, needs a new changelog version: the released file
    must not silently stop describing what is written."""
    assert files.document(files.CASE, changelog.VERSION) == files.derive_case_schema(), \
        "run python -m validator.changelog_schema <next version> and raise validator.changelog.VERSION"
    schema = files.document(files.CASE, changelog.VERSION)
    for field in schema["fields"]:
        if field["name"] in KEPT_FIELDS:
            names = [f["name"] for f in field["type"]["items"]["fields"]]
            assert names == [*files.FACT_HEADER, *KEPT_FIELDS[field["name"]]]


def test_no_v_number_name_or_medical_text_reaches_the_changelog(stream: list[ConsumedRecord]) -> None:
    """Every string of a personal or free-text field of the stream's events is absent from the changelog's
    bytes (Avro writes strings as they are, so a kept one would be found)."""
    decode = Deserializer().decode
    personal = {"v_number", "details", "diagnosis_code", "distinguishing_marks", "items", "valuables",
                "doctor_ref", "photo_ref"}
    secrets: set[str] = set()
    for record in stream:
        if record.key is None or record.value is None:
            continue
        data = decode(record.value).data
        for name in personal & set(data):
            values = data[name] if isinstance(data[name], list) else [data[name]]
            secrets.update(v for v in values if isinstance(v, str) and len(v) >= 4)
    assert len(secrets) > 500
    _, written = _fed(stream)
    blob = b"".join(r.key + (r.value or b"") for r in written)
    assert [s for s in secrets if s.encode() in blob] == []


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases=st.integers(1, 25), seed=st.integers(0, 10**6), cut=st.floats(0, 1))
def test_any_simulated_state_round_trips(cases: int, seed: int, cut: float) -> None:
    records = chain_records(cases, seed=seed)
    engine = Engine()
    engine.state.touched = {}
    engine.feed(records[:int(len(records) * cut)])
    written = changelog.flush(engine.state, {}, range(6))
    restored = changelog.restore(written).state
    assert restored.dossiers == engine.state.dossiers
    assert (restored.counters, restored.watermark, restored.progress) == \
        (engine.state.counters, engine.state.watermark, engine.state.progress)


def test_an_empty_state_restores_empty() -> None:
    state = EngineState(touched={})
    written = changelog.flush(state, {}, range(2))
    restored = changelog.restore(written).state
    assert restored.dossiers == {} and restored.watermark is None and restored.progress == {}
    assert restored.tallies[1].consumed == 0 and restored.counters == state.counters
    state.watermark = datetime(2026, 1, 1, tzinfo=UTC)
    assert changelog.restore(changelog.flush(state, {}, range(2))).state.watermark \
        == state.watermark
