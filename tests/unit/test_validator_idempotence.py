"""Idempotent processing: a re-delivered event counts once, a conflicting one is dead-lettered, and events
for cases never handed over are counted for the report (the engine alone; the broker runs are in
``tests/integration/test_validator_faults.py``)."""

from __future__ import annotations

import pickle

from bench.streams import chain_records
from consumers.records import ConsumedRecord
from schemas import topics
from validator.engine import Engine
from validator.report.model import build_report


def _report(engine: Engine) -> dict[str, object]:
    return build_report(engine.verdicts(), engine.state.counters, checkpoint_hours=48,
                        dead_letters=engine.rejection_summary(), unknown_cases=engine.unknown_cases())


def test_twenty_thousand_copies_of_an_event_leave_state_and_report_unchanged() -> None:
    records = chain_records(50)
    once = Engine()
    once.feed(records)
    twice = Engine()
    twice.feed(records)
    copies = [records[len(records) // 2]._replace(offset=10**6 + i) for i in range(20_000)]
    assert twice.feed(copies) == []
    counters = twice.state.counters
    assert counters.duplicates == 20_000 and counters.processed == once.state.counters.processed == len(records)
    assert counters.consumed == counters.processed + counters.duplicates + counters.dead_lettered
    report, baseline = _report(twice), _report(once)
    assert report.pop("records") != baseline.pop("records")
    assert report == baseline
    assert len(pickle.dumps(twice.state.dossiers)) == len(pickle.dumps(once.state.dossiers))


def test_the_same_event_id_with_other_content_is_a_dead_lettered_conflict() -> None:
    records = chain_records(5)
    engine = Engine()
    engine.feed(records)
    first = records[0]
    changed = first._replace(offset=999, value=first.value[:-1] + bytes([first.value[-1] ^ 1]))
    rejected = engine.feed([changed])
    assert [(r.stage, r.code, r.path) for _, r in rejected] == [("semantic", "event-id-conflict", "$.event_id")]
    assert engine.state.counters.dead_lettered == 1 and engine.state.counters.duplicates == 0


def test_a_duplicate_is_recognised_after_a_snapshot_round_trip() -> None:
    """Event id hashes must not depend on the process (``hash()`` of a str does): a snapshot is restored by
    another process, so this pickles the state through bytes, as a snapshot does."""
    records = chain_records(5)
    engine = Engine()
    engine.feed(records)
    restored = Engine(state=pickle.loads(pickle.dumps(engine.state)))
    assert restored.feed(records) == []
    assert restored.state.counters.duplicates == len(records)


def test_events_for_a_case_never_handed_over_are_counted_in_the_report() -> None:
    records = chain_records(20)
    handed_over = {r.key for r in records if r.topic.endswith(topics.HANDOVER)}
    orphan_key = next(r.key for r in records if r.key in handed_over)
    orphans = [r for r in records if r.key == orphan_key and not r.topic.endswith(topics.HANDOVER)]
    kept: list[ConsumedRecord] = [r for r in records if r.key != orphan_key] + orphans
    engine = Engine()
    engine.feed(kept)
    report = _report(engine)
    assert report["unknown_cases"] == {"cases": 1, "events": len(orphans)}
    assert orphan_key.decode() not in {c["case"] for c in report["cases"]}  # type: ignore[attr-defined]


def test_eviction_keeps_the_report_and_holds_only_open_cases() -> None:
    """Closed cases are dropped a grace period after their last event (event time, the slowest partition not
    at its end), their verdicts kept: the report is the same as without eviction, and far fewer dossiers
    are left."""
    records = chain_records(400)
    kept, evicting = Engine(), Engine(eviction_grace_hours=168)
    kept.feed(records)
    last = {(r.topic, r.partition): i for i, r in enumerate(records)}
    dropped = []
    for start in range(0, len(records), 500):
        evicting.feed(records[start:start + 500])
        dropped += evicting.evict({where for where, i in last.items() if i >= start + 500})
    assert len(dropped) > 300 and len(evicting.state.dossiers) < len(kept.state.dossiers) - 300
    assert all(case not in evicting.state.dossiers for case in dropped)
    assert _report(evicting) == _report(kept)
    restored = Engine(eviction_grace_hours=24, state=pickle.loads(pickle.dumps(evicting.state)))
    restored.reschedule()
    assert len(restored.evict(())) > 0 and _report(restored) == _report(kept)


def test_eviction_never_drops_a_checked_case_before_it_is_decided() -> None:
    """A partition at its end but not yet idle still holds the watermark back, though it holds no eviction back
    (no event waits there): cases closed meanwhile are kept until decided, or their verdicts would be lost."""
    records = chain_records(400)
    kept = Engine()
    kept.feed(records)
    last = {(r.topic, r.partition): i for i, r in enumerate(records)}
    evicting, dropped, chunk = Engine(eviction_grace_hours=24), [], 200
    for start in range(0, len(records), chunk):
        for record in records[start:start + chunk]:
            evicting.process(record)
        pending = {where for where, i in last.items() if i >= start + chunk}
        not_idle = {where for where, i in last.items() if start - 4 * chunk <= i < start + chunk}
        evicting.advance(pending | not_idle)
        dropped += evicting.evict(pending)
    assert len(dropped) > 100  # closed cases never checked, and those decided, still go
    evicting.advance(())
    assert _report(evicting) == _report(kept)
