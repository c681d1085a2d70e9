"""The completeness rules, as a declarative table, and the judgement of one dossier at its checkpoint.

These definitions are the chain's agreement on what "complete before departure" means (``docs/simulation.md``
states them in prose). The simulator's ground truth (``producers/rules.py``) implements them separately and
shares no code with this module, so comparing findings and truth case for case tests both. All times are the
events' ``recorded_at``.

* Latest booking K: among ``booked`` flight bookings, the reference whose first ``booked`` event was
  recorded last. Departure S = its scheduled departure; checkpoint C = S − 48 h (configurable).
* A case is checked when its handover says ``forced``, it has a K, and K was not cancelled before C.
* On time: recorded at or before C. Missing: no event of the category at all. Late: none on time.
* Per category the first rule that holds wins (presence before content).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from schemas.categories import Category, DefectKind
from validator.dossier import Dossier, Fact

MISSING, LATE = DefectKind.MISSING.value, DefectKind.LATE.value
CONTRADICTORY, INVALID = DefectKind.CONTRADICTORY.value, DefectKind.INVALID.value


@dataclass(frozen=True)
class Situation:
    """What every rule sees: the dossier, the latest booking, departure and checkpoint."""

    dossier: Dossier
    booking: Fact
    departure: datetime
    checkpoint: datetime

    def on_time(self, facts: Sequence[Fact]) -> list[Fact]:
        return [f for f in facts if f.recorded_at <= self.checkpoint]

    def latest_on_time(self, facts: Sequence[Fact]) -> Fact | None:
        return latest(self.on_time(facts))


Outcome = tuple[str, str] | None
"""(kind, responsible partner) when the rule finds a defect."""


@dataclass(frozen=True)
class Rule:
    """One completeness rule: stable id, category, responsible partner(s), severity and its test."""

    id: str
    category: Category
    partners: str
    severity: str
    description: str
    test: Callable[[Situation], Outcome]


def latest(facts: Sequence[Fact]) -> Fact | None:
    """Greatest recorded_at; on a tie the later one in stream order."""
    best: Fact | None = None
    for fact in facts:
        if best is None or fact.recorded_at >= best.recorded_at:
            best = fact
    return best


def _presence(facts: Sequence[Fact], s: Situation, partner: str) -> Outcome:
    if not facts:
        return MISSING, partner
    if not s.on_time(facts):
        return LATE, partner
    return None


def _holder(s: Situation) -> str:
    """DJI when the latest detention event on time is a start (the person is detained), else COA."""
    moves = sorted(s.dossier.of("detention_started") + s.dossier.of("detention_ended"), key=lambda f: f.seq)
    last = s.latest_on_time(moves)
    return "dji" if last is not None and "location_code" in last.names else "coa"


def _belongings(s: Situation) -> Outcome:
    held = [f for f in s.dossier.of("belongings") if f.partner in ("coa", "dji")]
    return _presence(held, s, _holder(s))


def _baggage(s: Situation) -> Outcome:
    per_partner: dict[str, Fact] = {}
    for fact in s.on_time(s.dossier.of("belongings")):
        if fact.partner not in per_partner or fact.recorded_at >= per_partner[fact.partner].recorded_at:
            per_partner[fact.partner] = fact
    if len({f["bag_count"] for f in per_partner.values()}) > 1:
        last = latest(list(per_partner.values()))
        assert last is not None
        return CONTRADICTORY, last.partner
    return None


def _physical(s: Situation) -> Outcome:
    return _presence(s.dossier.of("physical_features"), s, "dtv")


def _medical_presence(s: Situation) -> Outcome:
    return _presence(s.dossier.of("medical_situation"), s, "medical")


def _medical_postponed(s: Situation) -> Outcome:
    last = s.latest_on_time(s.dossier.of("medical_situation"))
    if last is None or not last["postponed"]:
        return None
    until = last["postponed_until"]
    return (CONTRADICTORY, last.partner) if until is None or until >= s.departure.date() else None


def _fit_presence(s: Situation) -> Outcome:
    return _presence(s.dossier.of("fit_to_fly"), s, "medical")


def _fit_valid(s: Situation) -> Outcome:
    last = s.latest_on_time(s.dossier.of("fit_to_fly"))
    if last is None:
        return None
    return (CONTRADICTORY, "medical") if not last["fit"] or last["valid_until"] < s.departure else None


def _airports(s: Situation) -> Outcome:
    b = s.booking
    return (INVALID, "dtv") if b["arrival_airport"] == b["departure_airport"] else None


def _notification(s: Situation) -> Outcome:
    ref = s.booking["booking_ref"]
    notices = [f for f in s.dossier.of("flight_notified") if f["booking_ref"] == ref]
    if not notices:
        return MISSING, "dtv"
    if not any(f["notified_at"] <= s.checkpoint and f.recorded_at <= s.checkpoint for f in notices):
        return LATE, "dtv"
    return None


def _document_presence(s: Situation) -> Outcome:
    return _presence(s.dossier.of("travel_document_obtained"), s, "dtv")


def _document_valid(s: Situation) -> Outcome:
    last = s.latest_on_time(s.dossier.of("travel_document_obtained"))
    if last is None:
        return None
    return (INVALID, "dtv") if last["valid_until"] < s.departure.date() else None


def _removability_presence(s: Situation) -> Outcome:
    return _presence(s.dossier.of("removability_confirmed"), s, "ind")


def _removable(s: Situation) -> Outcome:
    last = s.latest_on_time(s.dossier.of("removability_confirmed"))
    if last is None:
        return None
    return (CONTRADICTORY, "ind") if not last["removable"] or last["pending_procedure"] else None


def _escorts(s: Situation) -> list[Fact]:
    ref = s.booking["booking_ref"]
    return [f for f in s.dossier.of("escort_plan") if f["booking_ref"] == ref]


def _escort_presence(s: Situation) -> Outcome:
    return _presence(_escorts(s), s, "kmar")


def _escort_count(s: Situation) -> Outcome:
    last = s.latest_on_time(_escorts(s))
    if last is None:
        return None
    return (CONTRADICTORY, "kmar") if last["escort_count"] != s.booking["escort_count"] else None


C = Category
RULES: tuple[Rule, ...] = (
    Rule("BEL-001", C.BELONGINGS, "coa|dji", "major",
         "Belongings registered by the holder (DJI when detained at the checkpoint, else COA) on time", _belongings),
    Rule("BAG-001", C.BAGGAGE, "coa|dji|dtv", "major",
         "Partners holding the baggage agree on the number of bags (latest report of each, on time)", _baggage),
    Rule("PHY-001", C.PHYSICAL_FEATURES, "dtv", "major", "Physical features recorded on time", _physical),
    Rule("MED-001", C.MEDICAL, "medical", "critical", "Medical situation recorded on time", _medical_presence),
    Rule("MED-002", C.MEDICAL, "coa|ind|medical", "critical",
         "No medical postponement running through the departure date", _medical_postponed),
    Rule("FTF-001", C.FIT_TO_FLY, "medical", "critical", "Fit-to-fly statement present on time", _fit_presence),
    Rule("FTF-002", C.FIT_TO_FLY, "medical", "critical",
         "Latest fit-to-fly says fit and stays valid through the flight", _fit_valid),
    Rule("FLT-001", C.FLIGHT_BOOKING, "dtv", "critical",
         "Booking is plausible: arrival airport differs from departure airport", _airports),
    Rule("NOT-001", C.NOTIFICATION, "dtv", "major",
         "The person was notified of the booked flight at least 48 hours before departure", _notification),
    Rule("TRD-001", C.TRAVEL_DOCUMENT, "dtv", "critical", "Travel document obtained on time", _document_presence),
    Rule("TRD-002", C.TRAVEL_DOCUMENT, "dtv", "critical",
         "Latest travel document is valid on the flight date", _document_valid),
    Rule("REM-001", C.REMOVABILITY, "ind", "critical", "IND confirmed removability on time",
         _removability_presence),
    Rule("REM-002", C.REMOVABILITY, "ind", "critical",
         "Latest confirmation says removable, with no procedure pending", _removable),
    Rule("ESC-001", C.ESCORT, "kmar", "major", "KMar escort plan for the booking present on time",
         _escort_presence),
    Rule("ESC-002", C.ESCORT, "kmar", "major", "Escort plan agrees with the escort seats booked", _escort_count),
)
"""Evaluated in this order; within a category the first rule that finds a defect wins."""


@dataclass(frozen=True)
class Finding:
    """One defect of a checked case."""

    rule: str
    category: str
    partner: str
    kind: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "category": self.category, "partner": self.partner, "kind": self.kind}


@dataclass(frozen=True)
class Verdict:
    """The judgement of one checked case."""

    case: str
    departure: datetime
    checkpoint: datetime
    defects: tuple[Finding, ...]

    def to_json(self) -> dict[str, Any]:
        return {"case": self.case, "departure": self.departure.isoformat(),
                "checkpoint": self.checkpoint.isoformat(), "defects": [d.to_json() for d in self.defects]}


def latest_booking(dossier: Dossier) -> Fact | None:
    """First ``booked`` event of the booking whose first ``booked`` event was recorded last."""
    firsts: dict[str, Fact] = {}
    for fact in dossier.of("flight_booking"):
        if str(fact["status"]) == "booked" and fact["booking_ref"] not in firsts:
            firsts[fact["booking_ref"]] = fact
    return latest(list(firsts.values()))


def situation(dossier: Dossier, checkpoint_before: timedelta) -> Situation | None:
    """The situation to judge, or None when the case is not checked (not forced, no booking, cancelled)."""
    handover = dossier.of("case_handed_over")
    if not handover or str(handover[0]["track"]) != "forced":
        return None
    booking = latest_booking(dossier)
    if booking is None:
        return None
    departure = booking["scheduled_departure"]
    checkpoint = departure - checkpoint_before
    ref = booking["booking_ref"]
    for fact in dossier.of("flight_booking"):
        if (fact["booking_ref"] == ref and str(fact["status"]) == "cancelled"
                and fact.recorded_at < checkpoint):
            return None
    return Situation(dossier, booking, departure, checkpoint)


def judge(s: Situation) -> Verdict:
    """Apply every rule; the first defect per category counts."""
    found: dict[Category, Finding] = {}
    for rule in RULES:
        if rule.category in found:
            continue
        outcome = rule.test(s)
        if outcome is not None:
            kind, partner = outcome
            found[rule.category] = Finding(rule.id, rule.category.value, partner, kind)
    order = {c: i for i, c in enumerate(Category)}
    defects = tuple(found[c] for c in sorted(found, key=order.__getitem__))
    return Verdict(s.dossier.case, s.departure, s.checkpoint, defects)
