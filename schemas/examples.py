"""One realistic, valid example event per subject: for the message book, the tests and the benchmark.

Why in the catalogue: the message book shows each subject's example payload, and tests and benchmarks
must cover every event type the moment it is added; a subject without an example fails loudly here.
All values are invented; the V-number is a made-up ten-digit number, its case key a keyed hash of it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from schemas.casekey import case_key
from schemas.events.base import ChainEvent, Partner
from schemas.findings import ValidationFinding

EXAMPLE_V_NUMBER = "1234567890"
EXAMPLE_SECRET = b"example-secret-not-for-production"
EXAMPLE_CASE_KEY = case_key(EXAMPLE_V_NUMBER, EXAMPLE_SECRET)
_AT = datetime(2024, 3, 4, 9, 30, 15, 123456, tzinfo=UTC)

_FIELDS: dict[str, dict[str, Any]] = {
    "case_handed_over": {"v_number": EXAMPLE_V_NUMBER, "return_decision_id": "RD-2024-000123",
                         "decision_date": date(2024, 3, 1), "departure_deadline": date(2024, 3, 29),
                         "track": "forced", "entry_ban": True},
    "departure_talk_held": {"talk_number": 1, "outcome": "cooperative"},
    "travel_document_requested": {"document_type": "laissez_passer", "country": "MAR"},
    "travel_document_obtained": {"document_type": "laissez_passer", "country": "MAR",
                                 "valid_until": date(2024, 6, 30)},
    "detention_started": {"location_code": "DC-RTM"},
    "detention_ended": {"reason": "departed"},
    "removability_confirmed": {"removable": True, "pending_procedure": False},
    "flight_notified": {"booking_ref": "BK7Q2X", "notified_at": _AT},
    "departure_confirmed": {"booking_ref": "BK7Q2X", "departed_at": _AT + timedelta(days=2)},
    "departure_aborted": {"booking_ref": "BK7Q2X", "reason": "resistance"},
    "case_closed": {"outcome": "forced_departure"},
    "fit_to_fly": {"fit": True, "doctor_ref": "BIG-19087654321", "issued_at": _AT,
                   "valid_until": _AT + timedelta(days=14), "conditions": ["medication", "wheelchair"]},
    "medical_situation": {"relevant_circumstances": True, "postponed": False},
    "medical_details": {"details": "Example text only: needs daily medication during travel.",
                        "diagnosis_code": "E11"},
    "belongings": {"items": ["suitcase", "backpack", "documents folder"], "bag_count": 2,
                   "total_weight_kg": 27.5, "valuables": ["phone", "EUR 120"], "location": "detention_centre"},
    "physical_features": {"height_cm": 178, "build": "slim", "distinguishing_marks": ["scar left forearm"],
                          "photo_ref": "PH-000981"},
    "flight_booking": {"booking_ref": "BK7Q2X", "carrier": "KL", "flight_number": "KL1234",
                       "departure_airport": "AMS", "arrival_airport": "CMN",
                       "scheduled_departure": _AT + timedelta(days=2), "escort_count": 2, "status": "booked"},
    "escort_plan": {"booking_ref": "BK7Q2X", "escorted": True, "escort_count": 2, "medical_escort": False},
}


def example(model: type[ChainEvent], index: int = 0) -> ChainEvent:
    """A valid example of ``model`` (``index`` varies the event id and times), produced by its first owner."""
    partner = min(model.producers, key=lambda p: list(Partner).index(p))
    fields = _FIELDS.get(model.subject)
    if fields is None:
        raise KeyError(f"no example for subject {model.subject}: add one to schemas/examples.py")
    return model(
        event_id=f"00000000-0000-4000-8000-{index:012x}",
        case_key=EXAMPLE_CASE_KEY,
        partner=partner,
        occurred_at=_AT + timedelta(seconds=index),
        recorded_at=_AT + timedelta(seconds=index, milliseconds=250),
        **fields,
    )


def example_finding() -> ValidationFinding:
    """A revised finding of the example case: a fit-to-fly statement recorded after the checkpoint turned the
    missing statement into a late one (every field of a finding filled)."""
    departure = _AT + timedelta(days=2)
    checkpoint = departure - timedelta(hours=48)
    late = {"rule": "FTF-001", "category": "fit_to_fly", "partner": "medical", "kind": "late"}
    return ValidationFinding.model_validate({
        "case": EXAMPLE_CASE_KEY, "checkpoint": checkpoint, "departure": departure, "complete": False,
        "defects": [late], "revision": 1, "watermark": checkpoint + timedelta(hours=9),
        "reason": "fit_to_fly from MEDICAL recorded 6 h after the checkpoint",
        "changes": [{**late, "kind": "missing", "change": "removed"}, {**late, "change": "added"}],
        "validator_version": "0.1.0"})
