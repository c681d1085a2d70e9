"""The ground-truth rules on hand-made cases: checked or not, and each category's defect kinds."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from producers.rules import Defect, judge
from schemas.categories import Category, DefectKind
from schemas.events import (
    Belongings,
    BookingStatus,
    CancellationReason,
    CaseHandedOver,
    ChainEvent,
    DetentionEnded,
    DetentionEndReason,
    DetentionStarted,
    EscortPlan,
    FitToFly,
    FlightBooking,
    FlightNotified,
    MedicalSituation,
    Partner,
    PhysicalFeatures,
    RemovabilityConfirmed,
    StorageLocation,
    Track,
    TravelDocumentObtained,
)
from schemas.events.lifecycle import DocumentType

KEY = "ck_" + "ab" * 12
T0 = datetime(2023, 3, 1, 9, tzinfo=UTC)
DEPARTURE = T0 + timedelta(days=30)
CHECKPOINT = DEPARTURE - timedelta(hours=48)
_ids = itertools.count()


def ev(cls: type[ChainEvent], partner: Partner, at: datetime, **fields: Any) -> ChainEvent:
    return cls(event_id=f"00000000-0000-4000-8000-{next(_ids):012d}", case_key=KEY, partner=partner,
               occurred_at=at, recorded_at=at, **fields)


def handover(track: Track = Track.FORCED) -> ChainEvent:
    return ev(CaseHandedOver, Partner.IND, T0, v_number="0123456789", return_decision_id="RD-1",
              decision_date=T0.date(), departure_deadline=T0.date(), track=track, entry_ban=True)


def booking(at: datetime = T0 + timedelta(days=20), ref: str = "BK1", departure: datetime = DEPARTURE,
            status: BookingStatus = BookingStatus.BOOKED, arrival: str = "CMN", escorts: int = 2) -> ChainEvent:
    reason = CancellationReason.NEW_LEGAL_PROCEDURE if status is BookingStatus.CANCELLED else None
    return ev(FlightBooking, Partner.DTV, at, booking_ref=ref, carrier="AT", flight_number="AT123",
              departure_airport="AMS", arrival_airport=arrival, scheduled_departure=departure,
              escort_count=escorts, status=status, cancellation_reason=reason)


def belongings(partner: Partner, at: datetime, bags: int = 2) -> ChainEvent:
    return ev(Belongings, partner, at, items=["clothing"], bag_count=bags, total_weight_kg=12.5,
              location=StorageLocation.DETENTION_CENTRE)


def complete(before: datetime = CHECKPOINT - timedelta(hours=1)) -> list[ChainEvent]:
    """A checked case with every category present, on time and consistent (detained: DJI holds)."""
    return [
        handover(),
        ev(DetentionStarted, Partner.POLICE, T0 + timedelta(days=1), location_code="DC-ZEIST"),
        belongings(Partner.DJI, T0 + timedelta(days=2)),
        ev(PhysicalFeatures, Partner.DTV, T0 + timedelta(days=3), height_cm=175, build="average"),
        ev(MedicalSituation, Partner.MEDICAL, T0 + timedelta(days=3), relevant_circumstances=False,
           postponed=False),
        ev(TravelDocumentObtained, Partner.DTV, T0 + timedelta(days=10), document_type=DocumentType.PASSPORT,
           country="MAR", valid_until=date(2030, 1, 1)),
        booking(),
        ev(EscortPlan, Partner.KMAR, T0 + timedelta(days=22), booking_ref="BK1", escorted=True, escort_count=2,
           medical_escort=False),
        ev(FitToFly, Partner.MEDICAL, before, fit=True, doctor_ref="BIG1", issued_at=before,
           valid_until=DEPARTURE + timedelta(days=5)),
        ev(RemovabilityConfirmed, Partner.IND, before, removable=True, pending_procedure=False),
        ev(FlightNotified, Partner.DTV, before, booking_ref="BK1", notified_at=before),
    ]


def without(events: list[ChainEvent], cls: type[ChainEvent]) -> list[ChainEvent]:
    return [e for e in events if not isinstance(e, cls)]


def defects(events: list[ChainEvent]) -> set[tuple[str, str, str]]:
    verdict = judge(KEY, events)
    assert verdict.checked
    return {(d.category.value, d.partner.value, d.kind.value) for d in verdict.defects}


def test_a_complete_forced_case_is_checked_without_defects() -> None:
    verdict = judge(KEY, complete())
    assert verdict.checked and verdict.defects == ()
    assert verdict.to_json() == {"case": KEY, "checked": True, "defects": [], "checkpoint": CHECKPOINT.isoformat()}


def test_voluntary_track_and_cases_without_booking_are_not_checked() -> None:
    voluntary = [handover(Track.VOLUNTARY), *complete()[1:]]
    assert not judge(KEY, voluntary).checked
    assert not judge(KEY, without(complete(), FlightBooking)).checked


def test_a_booking_cancelled_before_its_checkpoint_is_not_checked_after_it_is() -> None:
    early = booking(at=CHECKPOINT - timedelta(seconds=1), status=BookingStatus.CANCELLED)
    late = booking(at=CHECKPOINT, status=BookingStatus.CANCELLED)
    assert not judge(KEY, [*complete(), early]).checked
    assert judge(KEY, [*complete(), late]).checked


def test_only_the_latest_booking_counts() -> None:
    later = DEPARTURE + timedelta(days=20)
    rebooked = [*complete(), booking(at=DEPARTURE + timedelta(days=5), ref="BK2", departure=later)]
    # no escort plan and no notice for BK2; the old fit to fly expires before the later flight
    assert defects(rebooked) == {("escort", "kmar", "missing"), ("notification", "dtv", "missing"),
                                 ("fit_to_fly", "medical", "contradictory")}
    cancelled_early = [*rebooked, booking(at=DEPARTURE + timedelta(days=6), ref="BK2", departure=later,
                                          status=BookingStatus.CANCELLED)]
    assert not judge(KEY, cancelled_early).checked


def test_missing_and_late_by_recorded_time() -> None:
    after = CHECKPOINT + timedelta(minutes=1)
    events = without(complete(), PhysicalFeatures)
    assert defects(events) == {("physical_features", "dtv", "missing")}
    late = [*events, ev(PhysicalFeatures, Partner.DTV, after, height_cm=175, build="average")]
    assert defects(late) == {("physical_features", "dtv", "late")}
    at_checkpoint = [*events, ev(PhysicalFeatures, Partner.DTV, CHECKPOINT, height_cm=175, build="average")]
    assert defects(at_checkpoint) == set()


def test_belongings_fall_to_the_holder_at_the_checkpoint() -> None:
    detained = without(complete(), Belongings)
    assert defects(detained) == {("belongings", "dji", "missing")}
    released = [*detained, ev(DetentionEnded, Partner.DJI, T0 + timedelta(days=5), reason=DetentionEndReason.LIFTED)]
    assert defects(released) == {("belongings", "coa", "missing")}
    coa_on_time = [*released, belongings(Partner.COA, T0 + timedelta(days=6))]
    assert defects(coa_on_time) == set()
    dtv_only = [*detained, belongings(Partner.DTV, T0 + timedelta(days=6))]
    assert defects(dtv_only) == {("belongings", "dji", "missing")}


def test_baggage_contradiction_between_partners_on_time() -> None:
    dtv = belongings(Partner.DTV, CHECKPOINT - timedelta(days=1), bags=3)
    assert defects([*complete(), dtv]) == {("baggage", "dtv", "contradictory")}
    agreeing = belongings(Partner.DTV, CHECKPOINT - timedelta(days=1), bags=2)
    assert defects([*complete(), agreeing]) == set()
    after = belongings(Partner.DTV, CHECKPOINT + timedelta(hours=1), bags=3)
    assert defects([*complete(), after]) == set()
    corrected = belongings(Partner.DJI, CHECKPOINT - timedelta(hours=2), bags=3)
    assert defects([*complete(), dtv, corrected]) == set()


def test_medical_postponement_beyond_the_flight_is_contradictory() -> None:
    def postponed(until: date | None, partner: Partner = Partner.MEDICAL) -> ChainEvent:
        return ev(MedicalSituation, partner, CHECKPOINT - timedelta(hours=3), relevant_circumstances=True,
                  postponed=True, postponed_until=until)

    assert defects([*complete(), postponed(DEPARTURE.date())]) == {("medical", "medical", "contradictory")}
    assert defects([*complete(), postponed(None, Partner.IND)]) == {("medical", "ind", "contradictory")}
    assert defects([*complete(), postponed(DEPARTURE.date() - timedelta(days=1))]) == set()
    assert defects(without(complete(), MedicalSituation)) == {("medical", "medical", "missing")}


def test_fit_to_fly_expiring_before_the_flight_or_unfit_is_contradictory() -> None:
    at = CHECKPOINT - timedelta(minutes=5)

    def fit(valid_until: datetime, ok: bool = True) -> ChainEvent:
        return ev(FitToFly, Partner.MEDICAL, at, fit=ok, doctor_ref="BIG2", issued_at=at, valid_until=valid_until)

    assert defects([*complete(), fit(DEPARTURE - timedelta(seconds=1))]) == {("fit_to_fly", "medical", "contradictory")}
    assert defects([*complete(), fit(DEPARTURE)]) == set()
    assert defects([*complete(), fit(DEPARTURE + timedelta(days=1), ok=False)]) == {
        ("fit_to_fly", "medical", "contradictory")}
    assert defects(without(complete(), FitToFly)) == {("fit_to_fly", "medical", "missing")}


def test_flight_booking_with_arrival_equal_to_departure_is_invalid() -> None:
    events = [e for e in complete() if not isinstance(e, FlightBooking)] + [booking(arrival="AMS")]
    assert defects(events) == {("flight_booking", "dtv", "invalid")}


def test_notification_needs_a_notice_for_the_booking_given_and_recorded_by_the_checkpoint() -> None:
    events = without(complete(), FlightNotified)
    assert defects(events) == {("notification", "dtv", "missing")}
    other_booking = ev(FlightNotified, Partner.DTV, T0, booking_ref="BK0", notified_at=T0)
    assert defects([*events, other_booking]) == {("notification", "dtv", "missing")}
    short = CHECKPOINT + timedelta(hours=10)
    assert defects([*events, ev(FlightNotified, Partner.DTV, short, booking_ref="BK1", notified_at=short)]) == {
        ("notification", "dtv", "late")}
    told_on_time_recorded_late = ev(FlightNotified, Partner.DTV, CHECKPOINT + timedelta(hours=1), booking_ref="BK1",
                                    notified_at=CHECKPOINT - timedelta(hours=1))
    assert defects([*events, told_on_time_recorded_late]) == {("notification", "dtv", "late")}


def test_travel_document_expiring_before_the_flight_date_is_invalid() -> None:
    def document(valid_until: date) -> ChainEvent:
        return ev(TravelDocumentObtained, Partner.DTV, T0 + timedelta(days=11),
                  document_type=DocumentType.LAISSEZ_PASSER, country="MAR", valid_until=valid_until)

    assert defects([*complete(), document(DEPARTURE.date() - timedelta(days=1))]) == {
        ("travel_document", "dtv", "invalid")}
    assert defects([*complete(), document(DEPARTURE.date())]) == set()
    assert defects(without(complete(), TravelDocumentObtained)) == {("travel_document", "dtv", "missing")}


def test_removability_pending_procedure_at_the_checkpoint_is_contradictory() -> None:
    pending = ev(RemovabilityConfirmed, Partner.IND, CHECKPOINT, removable=False, pending_procedure=True)
    assert defects([*complete(), pending]) == {("removability", "ind", "contradictory")}
    after = ev(RemovabilityConfirmed, Partner.IND, CHECKPOINT + timedelta(seconds=1), removable=False,
               pending_procedure=True)
    assert defects([*complete(), after]) == set()


def test_escort_plan_count_must_match_the_booking() -> None:
    plan = ev(EscortPlan, Partner.KMAR, CHECKPOINT - timedelta(hours=1), booking_ref="BK1", escorted=True,
              escort_count=3, medical_escort=False)
    assert defects([*complete(), plan]) == {("escort", "kmar", "contradictory")}
    assert defects(without(complete(), EscortPlan)) == {("escort", "kmar", "missing")}


def test_defects_come_in_category_order_one_per_category() -> None:
    events = [handover(), booking(arrival="AMS")]
    verdict = judge(KEY, events)
    categories = [d.category for d in verdict.defects]
    assert categories == sorted(set(categories), key=list(Category).index)
    assert {d.category for d in verdict.defects} == set(Category) - {Category.BAGGAGE}
    assert Defect(Category.BELONGINGS, Partner.COA, DefectKind.MISSING) in verdict.defects
