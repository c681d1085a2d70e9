"""What a consumer of the simulated stream can count: tallies from decoded events, case by case.

Why from the events and not from the plan: the simulator's claims (outcome shares, failed bookings,
detentions, the Inspectorate's defect rates …) are only worth what the stream a consumer reads shows, so
everything here is counted from events decoded off the wire (``sigma simulate`` decodes the records it
sends of the subjects counted here; a test reads the topics back), never from what the planner meant.
Defects are judged by the ground-truth rules (:mod:`producers.rules`) on those same events.

The tallies are plain counts keyed by name (they cross a process boundary as marshal data, and a
fidelity table is computed from them: :mod:`producers.fidelity`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from producers.rules import judge
from schemas.categories import Category
from schemas.events import (
    Belongings,
    BookingStatus,
    CancellationReason,
    CaseClosed,
    CaseHandedOver,
    CaseOutcome,
    ChainEvent,
    DetentionEnded,
    DetentionEndReason,
    DetentionStarted,
    DocumentType,
    EscortPlan,
    FitToFly,
    FlightBooking,
    FlightNotified,
    MedicalSituation,
    PhysicalFeatures,
    RemovabilityConfirmed,
    Track,
    TravelDocumentObtained,
)

Tallies = dict[str, int]

SUBJECTS = frozenset(cls.subject for cls in (
    CaseHandedOver, CaseClosed, FlightBooking, DetentionStarted, DetentionEnded, TravelDocumentObtained,
    Belongings, PhysicalFeatures, MedicalSituation, FitToFly, FlightNotified, RemovabilityConfirmed, EscortPlan,
))
"""The subjects the tallies depend on, so the only ones worth decoding: the lifecycle events counted here
and every subject the ground-truth rules read."""


class StreamMeasure:
    """Tallies a stream in which each case's ``case_closed`` comes after its other events (the simulator's
    order); for a stream read back from topics, which interleave, use :func:`measure`."""

    def __init__(self) -> None:
        self._open: dict[str, list[ChainEvent]] = {}
        self._counts: Counter[str] = Counter()
        self._first: datetime | None = None
        self._last: datetime | None = None

    def add(self, event: ChainEvent) -> None:
        """One decoded event; a case is counted when its ``case_closed`` arrives."""
        events = self._open.setdefault(event.case_key, [])
        events.append(event)
        if isinstance(event, CaseClosed):
            del self._open[event.case_key]
            self.case(events)

    def case(self, events: list[ChainEvent]) -> None:
        """Count one whole case (its events in stream order)."""
        of: dict[type[ChainEvent], list[Any]] = {}
        for event in events:
            of.setdefault(type(event), []).append(event)
        handovers: list[CaseHandedOver] = of.get(CaseHandedOver, [])
        closures: list[CaseClosed] = of.get(CaseClosed, [])
        count = self._counts
        if not handovers or not closures:
            count["incomplete"] += 1
            return
        at = handovers[0].recorded_at
        self._first = at if self._first is None else min(self._first, at)
        self._last = at if self._last is None else max(self._last, at)
        outcome, forced = closures[0].outcome, handovers[0].track is Track.FORCED
        count["closed"] += 1
        count[f"closed.{outcome.value}"] += 1
        count[f"forced.{outcome.value}"] += forced
        bookings = self._bookings(of.get(FlightBooking, []), forced)
        detained = DetentionStarted in of
        if outcome is CaseOutcome.FORCED_DEPARTURE:
            count["rebooked"] += bookings > 1
            count["detained.forced_departure"] += detained
        elif forced and outcome is CaseOutcome.OUTFLOW_WITHOUT_DEPARTURE and bookings:
            count["booked_outflow"] += 1
            count["detained.booked_outflow"] += detained
        elif forced and outcome is not CaseOutcome.INDEPENDENT_DEPARTURE and not bookings:
            count["other_forced"] += 1
            count["detained.other_forced"] += detained
        for end in of.get(DetentionEnded, []):
            count["detentions_ended"] += 1
            count["detentions_ended.departed"] += end.reason is DetentionEndReason.DEPARTED
        count["passport"] += any(e.document_type is DocumentType.PASSPORT for e in of.get(TravelDocumentObtained, []))
        if forced and bookings:  # the rules check no other case
            self._judge(handovers[0].case_key, events)

    def _judge(self, case: str, events: list[ChainEvent]) -> None:
        """The ground-truth rules' verdict on the case: checked or not, and its defects."""
        verdict = judge(case, events)
        if verdict.checked:
            count = self._counts
            count["checked"] += 1
            count["checked.defective"] += bool(verdict.defects)
            count.update(f"checked.{d.category.value}" for d in verdict.defects)
            count["checked.notified_in_time"] += all(d.category is not Category.NOTIFICATION for d in verdict.defects)

    def _bookings(self, bookings: list[FlightBooking], forced: bool) -> int:
        """Count the case's bookings (each reference once) and those cancelled, with the reason; returns
        how many bookings the case had."""
        refs = {e.booking_ref for e in bookings}
        cancelled: dict[str, CancellationReason | None] = {}
        for e in bookings:
            if e.status is BookingStatus.CANCELLED:
                cancelled.setdefault(e.booking_ref, e.cancellation_reason)
        count = self._counts
        count["bookings"] += len(refs)
        count["bookings.cancelled"] += len(cancelled)
        count.update(f"bookings.cancelled.{reason.value}" for reason in cancelled.values() if reason is not None)
        if forced:
            count["removals"] += len(refs)
            count["removals.cancelled"] += len(cancelled)
        return len(refs)

    def tallies(self) -> Tallies:
        """The counts so far (cases still open are not counted), with the intake span: the handovers after
        the first and the simulated seconds from the first to the last."""
        tallies = dict(self._counts)
        if self._first is not None and self._last is not None:
            tallies["intake.gaps"] = tallies["closed"] - 1
            tallies["intake.seconds"] = int((self._last - self._first).total_seconds())
        return tallies


def measure(events: Iterable[ChainEvent]) -> Tallies:
    """Tallies of events in any order a consumer may read them (topics interleave; one case's events
    keep their order within a topic): grouped by case first."""
    cases: dict[str, list[ChainEvent]] = {}
    for event in events:
        cases.setdefault(event.case_key, []).append(event)
    tally = StreamMeasure()
    for events_of_case in cases.values():
        tally.case(events_of_case)
    return tally.tallies()
