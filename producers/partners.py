"""The simulated chain partners: one per agency, each able to say only what it owns.

Why drafts: the planner writes a whole case before any event exists, then defects move or drop some of
its statements. A :class:`Draft` is a statement not yet turned into an event (no id, no validation); it
becomes a validated event model once the plan is final. Each partner can only draft subjects whose
``producers`` include it — checked when drafting, and again by the event model itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from producers import clock
from schemas.events import (
    Belongings,
    BookingStatus,
    Build,
    CancellationReason,
    CaseClosed,
    CaseHandedOver,
    CaseOutcome,
    ChainEvent,
    DepartureAborted,
    DepartureConfirmed,
    DepartureTalkHeld,
    DetentionEnded,
    DetentionEndReason,
    DetentionStarted,
    DocumentType,
    EscortPlan,
    FitToFly,
    FlightBooking,
    FlightCondition,
    FlightNotified,
    MedicalDetails,
    MedicalSituation,
    Partner,
    PhysicalFeatures,
    RemovabilityConfirmed,
    StorageLocation,
    TalkOutcome,
    Track,
    TravelDocumentObtained,
    TravelDocumentRequested,
)


class Draft:
    """A planned statement: who says what, recorded when (simulated seconds), not yet an event."""

    __slots__ = ("at", "cls", "fields", "occurred", "partner")

    def __init__(self, cls: type[ChainEvent], partner: Partner, at: int, occurred: int, fields: dict[str, Any]):
        self.cls = cls
        self.partner = partner
        self.at = at
        self.occurred = occurred
        self.fields = fields

    def move(self, at: int) -> None:
        """Record it at another moment; it happened just before it was recorded."""
        self.occurred = at - (self.at - self.occurred)
        self.at = at

    def build(self, event_id: str, case_key: str) -> ChainEvent:
        """The validated event (pydantic enforces the schema and the partner's ownership)."""
        return self.cls(event_id=event_id, case_key=case_key, partner=self.partner,
                        occurred_at=clock.at(self.occurred), recorded_at=clock.at(self.at),
                        schema_version=self.cls.version, **self.fields)


class SimulatedPartner:
    """Base of the simulated agencies: drafts only subjects this partner owns."""

    partner: ClassVar[Partner]

    def _draft(self, cls: type[ChainEvent], at: int, lag: int = 0, **fields: Any) -> Draft:
        if self.partner not in cls.producers:
            raise PermissionError(f"{self.partner.value} does not own {cls.subject}")
        return Draft(cls, self.partner, at, at - lag, fields)


class Ind(SimulatedPartner):
    """IND: issues the return decision and hands the case over; confirms removability near departure."""

    partner = Partner.IND

    def hand_over(self, at: int, *, v_number: str, decision_ref: str, decision_date: date,
                  deadline: date, track: Track) -> Draft:
        return self._draft(CaseHandedOver, at, 600, v_number=v_number, return_decision_id=decision_ref,
                           decision_date=decision_date, departure_deadline=deadline, track=track,
                           entry_ban=track is Track.FORCED)

    def confirm_removability(self, at: int, *, removable: bool, pending_procedure: bool) -> Draft:
        return self._draft(RemovabilityConfirmed, at, 300, removable=removable,
                           pending_procedure=pending_procedure)


class Coa(SimulatedPartner):
    """COA: registers the belongings and health constraints of the people it houses."""

    partner = Partner.COA

    def belongings(self, at: int, *, items: list[str], bags: int, weight: float, valuables: list[str]) -> Draft:
        return self._draft(Belongings, at, 1800, items=items, bag_count=bags, total_weight_kg=weight,
                           valuables=valuables, location=StorageLocation.COA_LOCATION)

    def medical_situation(self, at: int, *, relevant: bool) -> Draft:
        return self._draft(MedicalSituation, at, 3600, relevant_circumstances=relevant, postponed=False)


class Dtv(SimulatedPartner):
    """DT&V: directs the departure — talks, travel documents, bookings, notice, features, baggage, closure."""

    partner = Partner.DTV

    def talk(self, at: int, *, number: int, outcome: TalkOutcome) -> Draft:
        return self._draft(DepartureTalkHeld, at, 1800, talk_number=number, outcome=outcome)

    def request_document(self, at: int, *, country: str) -> Draft:
        return self._draft(TravelDocumentRequested, at, 900, document_type=DocumentType.LAISSEZ_PASSER,
                           country=country)

    def document_obtained(self, at: int, *, kind: DocumentType, country: str, valid_until: date) -> Draft:
        return self._draft(TravelDocumentObtained, at, 1800, document_type=kind, country=country,
                           valid_until=valid_until)

    def features(self, at: int, *, height: int, build: Build, marks: list[str], photo: str) -> Draft:
        return self._draft(PhysicalFeatures, at, 1800, height_cm=height, build=build,
                           distinguishing_marks=marks, photo_ref=photo)

    def book(self, at: int, *, ref: str, carrier: str, flight: str, origin: str, destination: str,
             departure: int, escorts: int) -> Draft:
        return self._draft(FlightBooking, at, 300, booking_ref=ref, carrier=carrier, flight_number=flight,
                           departure_airport=origin, arrival_airport=destination,
                           scheduled_departure=clock.at(departure), escort_count=escorts,
                           status=BookingStatus.BOOKED)

    def cancel(self, at: int, booked: Draft, reason: CancellationReason) -> Draft:
        return self._draft(FlightBooking, at, 300, **{**booked.fields, "status": BookingStatus.CANCELLED,
                                                      "cancellation_reason": reason})

    def notify(self, at: int, *, ref: str, notified: int) -> Draft:
        return self._draft(FlightNotified, at, at - notified, booking_ref=ref, notified_at=clock.at(notified))

    def baggage(self, at: int, *, items: list[str], bags: int, weight: float,
                location: StorageLocation) -> Draft:
        return self._draft(Belongings, at, 900, items=items, bag_count=bags, total_weight_kg=weight,
                           location=location)

    def close(self, at: int, *, outcome: CaseOutcome) -> Draft:
        return self._draft(CaseClosed, at, 3600, outcome=outcome)


class Kmar(SimulatedPartner):
    """KMar: escort plans, border detentions, and the final word at the aircraft door."""

    partner = Partner.KMAR

    def escort_plan(self, at: int, *, ref: str, escorts: int, medical_escort: bool) -> Draft:
        return self._draft(EscortPlan, at, 1800, booking_ref=ref, escorted=escorts > 0, escort_count=escorts,
                           medical_escort=medical_escort)

    def detain(self, at: int, *, location: str) -> Draft:
        return self._draft(DetentionStarted, at, 1200, location_code=location)

    def departed(self, at: int, *, ref: str, departed: int) -> Draft:
        return self._draft(DepartureConfirmed, at, at - departed, booking_ref=ref, departed_at=clock.at(departed))

    def aborted(self, at: int, *, ref: str, reason: CancellationReason) -> Draft:
        return self._draft(DepartureAborted, at, 600, booking_ref=ref, reason=reason)


class Police(SimulatedPartner):
    """AVIM / police: places people in aliens detention after an arrest."""

    partner = Partner.POLICE

    def detain(self, at: int, *, location: str) -> Draft:
        return self._draft(DetentionStarted, at, 1800, location_code=location)


class Dji(SimulatedPartner):
    """DJI: runs detention — registers belongings at intake and ends detentions."""

    partner = Partner.DJI

    def belongings(self, at: int, *, items: list[str], bags: int, weight: float, valuables: list[str]) -> Draft:
        return self._draft(Belongings, at, 1800, items=items, bag_count=bags, total_weight_kg=weight,
                           valuables=valuables, location=StorageLocation.DETENTION_CENTRE)

    def release(self, at: int, *, reason: DetentionEndReason) -> Draft:
        return self._draft(DetentionEnded, at, 900, reason=reason)


class MedicalService(SimulatedPartner):
    """The medical service (reception or detention doctor): fit to fly, medical situation, details."""

    partner = Partner.MEDICAL

    def fit_to_fly(self, at: int, *, doctor: str, issued: int, valid_until: int,
                   conditions: list[FlightCondition]) -> Draft:
        return self._draft(FitToFly, at, at - issued, fit=True, doctor_ref=doctor, issued_at=clock.at(issued),
                           valid_until=clock.at(valid_until), conditions=conditions)

    def situation(self, at: int, *, relevant: bool, postponed_until: date | None = None) -> Draft:
        return self._draft(MedicalSituation, at, 3600, relevant_circumstances=relevant,
                           postponed=postponed_until is not None, postponed_until=postponed_until)

    def details(self, at: int, *, text: str, code: str) -> Draft:
        return self._draft(MedicalDetails, at, 3600, details=text, diagnosis_code=code)


IND, COA, DTV, KMAR = Ind(), Coa(), Dtv(), Kmar()
POLICE, DJI, MEDICAL = Police(), Dji(), MedicalService()

PARTNERS: tuple[SimulatedPartner, ...] = (IND, COA, DTV, KMAR, POLICE, DJI, MEDICAL)
"""Every simulated partner. DV&O owns no subject in the message book, so it is not simulated."""
