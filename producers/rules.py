"""The ground-truth rules: which cases are checked, and what is wrong with each at its checkpoint.

This module is the reference the validator must agree with case for case (docs/simulation.md states the
same rules in prose). It is written apart from the validator's rules (``validator/rules.py``) and shares no
code with them: two independent implementations of docs/simulation.md, held to agree by the broker-free
differential test (tests/unit/test_validator_differential.py) and the 10,000-case broker test.

The simulator does not record the defects it meant to inject: it judges the events it actually emits with
these rules, so the truth file always describes the stream, and a stream decoded back from Kafka judges
the same.

Definitions (all times are the events' ``recorded_at``, the moment a partner's system knew):

* **Latest booking** K: among ``flight_booking`` events with status ``booked``, the booking reference whose
  first ``booked`` event was recorded last. Only K counts; earlier bookings are history.
* **Departure** S: ``scheduled_departure`` of K's first ``booked`` event. **Checkpoint** C = S − 48 hours.
* **Checked**: the case's ``case_handed_over`` has track ``forced``, it has a latest booking K, and no
  ``flight_booking`` for K with status ``cancelled`` was recorded before C (``recorded_at < C``).
  Unchecked cases get no defects, whatever their events hold.
* **On time** means ``recorded_at <= C``. **Late**: events of the category exist in the case, but none is
  on time. **Missing**: no event of the category in the whole case (through the end of the stream).
* **Latest** event of a kind: the greatest ``recorded_at`` among those on time; ties go to the later one
  in its topic partition (every subject lives on one topic and a case on one partition, so this is
  well defined).

Per category (at most one kind per category; the first rule that holds wins, in the order listed):

* ``belongings`` — ``belongings`` events from COA or DJI (the holders). missing / late.
  Responsible: DJI when the person is detained at C (the latest ``detention_started`` /
  ``detention_ended`` event on time is a start), else COA.
* ``baggage`` — all ``belongings`` events on time, the latest per partner; ``contradictory`` when two or
  more partners report and their ``bag_count`` values differ. Responsible: the partner of the most recent
  of those per-partner reports.
* ``physical_features`` — ``physical_features`` events from any producer. missing / late. Responsible: DT&V.
* ``medical`` — ``medical_situation`` events from any producer. missing / late (responsible: medical
  service); ``contradictory`` when the latest on time says ``postponed`` and ``postponed_until`` is absent
  or not before S's date (responsible: that event's partner).
* ``fit_to_fly`` — ``fit_to_fly`` events. missing / late; ``contradictory`` when the latest on time says
  ``fit = false`` or its ``valid_until`` is before S. Responsible: medical service.
* ``flight_booking`` — K's first ``booked`` event; ``invalid`` when ``arrival_airport`` equals
  ``departure_airport``. Responsible: DT&V.
* ``notification`` — ``flight_notified`` events for K (by ``booking_ref``). missing; late when none has
  both ``notified_at <= C`` and ``recorded_at <= C``. Responsible: DT&V.
* ``travel_document`` — ``travel_document_obtained`` events. missing / late; ``invalid`` when the latest
  on time has ``valid_until`` before S's date. Responsible: DT&V.
* ``removability`` — ``removability_confirmed`` events. missing / late; ``contradictory`` when the latest
  on time says ``removable = false`` or ``pending_procedure = true``. Responsible: IND.
* ``escort`` — ``escort_plan`` events for K. missing / late; ``contradictory`` when the latest on time has an
  ``escort_count`` different from K's first ``booked`` event. Responsible: KMar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from schemas.categories import Category, DefectKind
from schemas.events import (
    Belongings,
    BookingStatus,
    CaseHandedOver,
    ChainEvent,
    DetentionEnded,
    DetentionStarted,
    EscortPlan,
    FitToFly,
    FlightBooking,
    FlightNotified,
    MedicalSituation,
    Partner,
    PhysicalFeatures,
    RemovabilityConfirmed,
    Track,
    TravelDocumentObtained,
)

CHECKPOINT_BEFORE_DEPARTURE = timedelta(hours=48)

MISSING, LATE = DefectKind.MISSING, DefectKind.LATE
CONTRADICTORY, INVALID = DefectKind.CONTRADICTORY, DefectKind.INVALID

@dataclass(frozen=True, order=True)
class Defect:
    """One defect of a checked case: what, who is responsible, which kind."""

    category: Category
    partner: Partner
    kind: DefectKind

    def to_json(self) -> dict[str, str]:
        """The ground-truth form: ``{"category", "partner", "kind"}``."""
        return {"category": self.category.value, "partner": self.partner.value, "kind": self.kind.value}


@dataclass(frozen=True)
class Verdict:
    """The ground truth of one case."""

    case: str
    checked: bool
    defects: tuple[Defect, ...] = ()
    checkpoint: datetime | None = None
    """C of a checked case (None when unchecked): where late deliveries are measured from."""

    def to_json(self) -> dict[str, Any]:
        """One line of the truth file (a checked case's with its checkpoint, as findings give it)."""
        line: dict[str, Any] = {"case": self.case, "checked": self.checked,
                                "defects": [d.to_json() for d in self.defects]}
        if self.checkpoint is not None:
            line["checkpoint"] = self.checkpoint.isoformat()
        return line


E = TypeVar("E", bound=ChainEvent)

_ORDER = {category: i for i, category in enumerate(Category)}


def judge(case_key: str, events: Iterable[ChainEvent]) -> Verdict:
    """Judge one case's events (in stream order) with the rules above."""
    stream = list(events)
    handover = next((e for e in stream if isinstance(e, CaseHandedOver)), None)
    if handover is None or handover.track is not Track.FORCED:
        return Verdict(case_key, False)
    case = _Case(stream)
    booking = case.latest_booking()
    if booking is None:
        return Verdict(case_key, False)
    checkpoint = booking.scheduled_departure - CHECKPOINT_BEFORE_DEPARTURE
    if any(b.booking_ref == booking.booking_ref and b.status is BookingStatus.CANCELLED
           and b.recorded_at < checkpoint for b in case.of(FlightBooking)):
        return Verdict(case_key, False)
    found = [d for d in _defects(case, booking, checkpoint) if d is not None]
    found.sort(key=lambda d: _ORDER[d.category])
    return Verdict(case_key, True, tuple(found), checkpoint)


def _defects(case: _Case, booking: FlightBooking, checkpoint: datetime) -> list[Defect | None]:
    departure = booking.scheduled_departure
    ref = booking.booking_ref
    holder = Partner.DJI if case.detained_at(checkpoint) else Partner.COA
    holders = [e for e in case.of(Belongings) if e.partner in (Partner.COA, Partner.DJI)]
    notices = [e for e in case.of(FlightNotified) if e.booking_ref == ref]
    escorts = [e for e in case.of(EscortPlan) if e.booking_ref == ref]
    day = departure.date()
    return [
        _presence(Category.BELONGINGS, holder, holders, checkpoint),
        _baggage(case.of(Belongings), checkpoint),
        _presence(Category.PHYSICAL_FEATURES, Partner.DTV, case.of(PhysicalFeatures), checkpoint),
        _content(Category.MEDICAL, Partner.MEDICAL, case.of(MedicalSituation), checkpoint, CONTRADICTORY,
                 lambda e: e.postponed and (e.postponed_until is None or e.postponed_until >= day), reporter=True),
        _content(Category.FIT_TO_FLY, Partner.MEDICAL, case.of(FitToFly), checkpoint, CONTRADICTORY,
                 lambda e: not e.fit or e.valid_until < departure),
        Defect(Category.FLIGHT_BOOKING, Partner.DTV, INVALID)
        if booking.arrival_airport == booking.departure_airport else None,
        _notification(notices, checkpoint),
        _content(Category.TRAVEL_DOCUMENT, Partner.DTV, case.of(TravelDocumentObtained), checkpoint, INVALID,
                 lambda e: e.valid_until < day),
        _content(Category.REMOVABILITY, Partner.IND, case.of(RemovabilityConfirmed), checkpoint, CONTRADICTORY,
                 lambda e: not e.removable or e.pending_procedure),
        _content(Category.ESCORT, Partner.KMAR, escorts, checkpoint, CONTRADICTORY,
                 lambda e: e.escort_count != booking.escort_count),
    ]


def _presence(category: Category, partner: Partner, events: Sequence[ChainEvent],
              checkpoint: datetime) -> Defect | None:
    """missing (none at all) or late (none on time); None when present on time."""
    if not events:
        return Defect(category, partner, MISSING)
    if not _on_time(events, checkpoint):
        return Defect(category, partner, LATE)
    return None


def _baggage(events: Sequence[Belongings], checkpoint: datetime) -> Defect | None:
    latest: dict[Partner, Belongings] = {}
    for event in _on_time(events, checkpoint):
        if event.partner not in latest or event.recorded_at >= latest[event.partner].recorded_at:
            latest[event.partner] = event
    if len({e.bag_count for e in latest.values()}) > 1:
        last = _latest(list(latest.values()))
        assert last is not None
        return Defect(Category.BAGGAGE, last.partner, CONTRADICTORY)
    return None


def _content(category: Category, partner: Partner, events: Sequence[E], checkpoint: datetime, kind: DefectKind,
             wrong: Callable[[E], bool], *, reporter: bool = False) -> Defect | None:
    """missing or late as :func:`_presence`; else ``kind`` when ``wrong`` holds for the latest event on time,
    attributed to ``partner`` (with ``reporter``: to that event's partner)."""
    absent = _presence(category, partner, events, checkpoint)
    if absent is not None:
        return absent
    last = _latest(_on_time(events, checkpoint))
    assert last is not None
    if not wrong(last):
        return None
    return Defect(category, last.partner if reporter else partner, kind)


def _notification(events: Sequence[FlightNotified], checkpoint: datetime) -> Defect | None:
    if not events:
        return Defect(Category.NOTIFICATION, Partner.DTV, MISSING)
    if not any(e.notified_at <= checkpoint and e.recorded_at <= checkpoint for e in events):
        return Defect(Category.NOTIFICATION, Partner.DTV, LATE)
    return None


def _on_time(events: Sequence[E], checkpoint: datetime) -> list[E]:
    return [e for e in events if e.recorded_at <= checkpoint]


def _latest(events: Sequence[E]) -> E | None:
    """Greatest recorded_at; on a tie the later one in stream order."""
    best: E | None = None
    for event in events:
        if best is None or event.recorded_at >= best.recorded_at:
            best = event
    return best


class _Case:
    """A case's events grouped by type, in stream order."""

    def __init__(self, events: list[ChainEvent]) -> None:
        self._by_type: dict[type[ChainEvent], list[ChainEvent]] = {}
        for event in events:
            self._by_type.setdefault(type(event), []).append(event)
        self._detention = [e for e in events if isinstance(e, DetentionStarted | DetentionEnded)]

    def of(self, kind: type[E]) -> list[E]:
        return self._by_type.get(kind, [])  # type: ignore[return-value]

    def latest_booking(self) -> FlightBooking | None:
        """First ``booked`` event of the booking whose first ``booked`` event was recorded last."""
        firsts: dict[str, FlightBooking] = {}
        for event in self.of(FlightBooking):
            if event.status is BookingStatus.BOOKED and event.booking_ref not in firsts:
                firsts[event.booking_ref] = event
        return _latest(list(firsts.values()))

    def detained_at(self, checkpoint: datetime) -> bool:
        last = _latest(_on_time(self._detention, checkpoint))
        return isinstance(last, DetentionStarted)
