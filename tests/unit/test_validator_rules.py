"""The completeness rules on hand-built dossiers (no broker): each kind of defect, and what is not checked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from consumers.records import ConsumedRecord
from validator.dossier import Dossier
from validator.engine import Engine
from validator.report.model import build_report
from validator.rules import judge, situation

DEPARTURE = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
CHECKPOINT = DEPARTURE - timedelta(hours=48)
BEFORE = CHECKPOINT - timedelta(days=3)
AFTER = CHECKPOINT + timedelta(hours=1)


def _event(d: Dossier, subject: str, partner: str, at: datetime, **fields: Any) -> None:
    d.add(subject, {"recorded_at": at, "partner": partner, **fields}, d.count, 0)


def _change(d: Dossier, subject: str, **changes: Any) -> None:
    """Change kept fields of the subject's first fact in place."""
    fact = d.facts[subject][0]
    fact.values = tuple(changes.get(name, value) for name, value in zip(fact.names, fact.values, strict=True))


def complete_case(track: str = "forced") -> Dossier:
    d = Dossier("ck_" + "a" * 24)
    _event(d, "case_handed_over", "ind", BEFORE - timedelta(days=30), track=track, entry_ban=False)
    _event(d, "flight_booking", "dtv", BEFORE, booking_ref="B1", departure_airport="AMS", arrival_airport="LOS",
           scheduled_departure=DEPARTURE, escort_count=2, status="booked")
    _event(d, "belongings", "coa", BEFORE, bag_count=2, total_weight_kg=20.0, location="coa_location")
    _event(d, "physical_features", "dtv", BEFORE, height_cm=180, build="average")
    _event(d, "medical_situation", "medical", BEFORE, relevant_circumstances=False, postponed=False,
           postponed_until=None)
    _event(d, "fit_to_fly", "medical", BEFORE, fit=True, valid_until=DEPARTURE + timedelta(days=5))
    _event(d, "flight_notified", "dtv", BEFORE, booking_ref="B1", notified_at=BEFORE)
    _event(d, "travel_document_obtained", "dtv", BEFORE, valid_until=date(2027, 1, 1))
    _event(d, "removability_confirmed", "ind", BEFORE, removable=True, pending_procedure=False)
    _event(d, "escort_plan", "kmar", BEFORE, booking_ref="B1", escort_count=2)
    return d


def defects(d: Dossier) -> list[tuple[str, str, str, str]]:
    s = situation(d, timedelta(hours=48))
    assert s is not None, "the case should be checked"
    return [(f.rule, f.category, f.partner, f.kind) for f in judge(s).defects]


def test_a_complete_case_has_no_defects() -> None:
    assert defects(complete_case()) == []


def test_voluntary_track_is_not_checked() -> None:
    assert situation(complete_case("voluntary"), timedelta(hours=48)) is None


def test_booking_cancelled_before_the_checkpoint_is_not_checked() -> None:
    d = complete_case()
    _event(d, "flight_booking", "dtv", CHECKPOINT - timedelta(hours=1), booking_ref="B1", departure_airport="AMS",
           arrival_airport="LOS", scheduled_departure=DEPARTURE, escort_count=2, status="cancelled")
    assert situation(d, timedelta(hours=48)) is None


def test_missing_belongings_are_the_holders_defect_dji_when_detained() -> None:
    d = complete_case()
    d.facts.pop("belongings")
    assert defects(d) == [("BEL-001", "belongings", "coa", "missing")]
    _event(d, "detention_started", "kmar", BEFORE, location_code="DC-R")
    assert defects(d) == [("BEL-001", "belongings", "dji", "missing")]


def test_features_recorded_after_the_checkpoint_are_late() -> None:
    d = complete_case()
    d.facts.pop("physical_features")
    _event(d, "physical_features", "dtv", AFTER, height_cm=180, build="average")
    assert defects(d) == [("PHY-001", "physical_features", "dtv", "late")]


def test_partners_disagreeing_on_bags_is_contradictory_baggage() -> None:
    d = complete_case()
    _event(d, "belongings", "dtv", BEFORE + timedelta(hours=1), bag_count=3, total_weight_kg=25.0, location="airport")
    assert defects(d) == [("BAG-001", "baggage", "dtv", "contradictory")]


def test_fit_to_fly_expiring_before_the_flight_is_contradictory() -> None:
    d = complete_case()
    _event(d, "fit_to_fly", "medical", BEFORE + timedelta(hours=2), fit=True,
           valid_until=DEPARTURE - timedelta(hours=1))
    assert defects(d) == [("FTF-002", "fit_to_fly", "medical", "contradictory")]


def test_same_airports_invalid_and_late_notice_and_expired_document() -> None:
    d = complete_case()
    _change(d, "flight_booking", arrival_airport="AMS")
    _change(d, "flight_notified", notified_at=AFTER)
    _change(d, "travel_document_obtained", valid_until=date(2026, 5, 1))
    assert defects(d) == [("FLT-001", "flight_booking", "dtv", "invalid"),
                          ("NOT-001", "notification", "dtv", "late"),
                          ("TRD-002", "travel_document", "dtv", "invalid")]


def test_report_rates_and_baseline() -> None:
    engine = Engine()
    bad = complete_case()
    bad.facts.pop("belongings")
    good = complete_case()
    good.case = "ck_" + "b" * 24
    engine.state.dossiers = {bad.case: bad, good.case: good}
    engine.state.watermark = DEPARTURE
    report = build_report(engine.verdicts(), engine.state.counters, checkpoint_hours=48)
    assert report["cases_checked"] == 2 and report["defect_rate"] == 0.5
    assert report["categories"]["belongings"] == 0.5 and report["categories"]["medical"] == 0.0
    assert report["baseline"]["defect_rate"] == 0.66 and report["partners"] == {"coa": 0.5}
    assert [c["defects"] for c in report["cases"]] == [
        [{"rule": "BEL-001", "category": "belongings", "partner": "coa", "kind": "missing"}], []]


def test_a_case_is_decided_when_event_time_reaches_its_checkpoint_plus_the_allowed_lateness() -> None:
    for lateness in (0.0, 1.0, 9.5):
        engine = Engine(allowed_lateness_hours=lateness)
        d = complete_case()
        engine.state.dossiers = {d.case: d}
        engine.state.watermark = CHECKPOINT + timedelta(hours=lateness, seconds=-1)
        assert engine.verdict(d.case) is None
        engine.state.watermark = CHECKPOINT + timedelta(hours=lateness)
        assert engine.verdict(d.case) is not None


def test_record_without_key_is_rejected_and_counted() -> None:
    engine = Engine()
    _, rejection = engine.process(ConsumedRecord("chain.medical.fit-to-fly", 0, 0, 0, 0, None, b"x", []))
    assert rejection is not None and rejection.code == "no-key"
    _, rejection = engine.process(ConsumedRecord("chain.medical.fit-to-fly", 0, 1, 0, 0, b"k", b"garbage", []))
    assert rejection is not None and rejection.stage == "decode" and rejection.code == "not-avro"
    assert engine.state.counters.to_json() == {"consumed": 2, "processed": 0, "duplicates": 0, "dead_lettered": 2}


def test_docs_rules_md_is_generated_from_the_rule_table(repo_root: Path) -> None:
    from validator.rules_doc import render

    assert (repo_root / "docs" / "rules.md").read_text() == render(), "run `make docs` to regenerate docs/rules.md"
