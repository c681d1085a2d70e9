"""One case as drafts: the statements planned for it and the bookings they prepare, before any event exists.

Why a shared working state: the planner writes a case whole, then defects move, drop or change some of its
statements, and only then do they become events. Both work on this one structure, and neither needs the
other's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from producers.clock import HOUR
from producers.partners import DTV, Draft
from schemas.events import CancellationReason, CaseOutcome, ChainEvent, FlightCondition, StorageLocation, Track


@dataclass
class Booking:
    """One planned flight and the statements preparing it."""

    ref: str
    booked_at: int
    departure: int
    escorts: int
    conditions: list[FlightCondition]
    fate: CancellationReason | None
    """None when flown."""
    booked: Draft | None = None
    cancelled: Draft | None = None
    fit: Draft | None = None
    escort: Draft | None = None
    removability: Draft | None = None
    notice: Draft | None = None
    baggage: Draft | None = None
    ended_at: int = 0
    """When it was flown, aborted or cancelled."""

    @property
    def checkpoint(self) -> int:
        return self.departure - 48 * HOUR


@dataclass
class CaseDrafts:
    """A case while it is planned: its statements, who holds the belongings, its bookings, how it ends."""

    key: str
    start: int
    outcome: CaseOutcome
    track: Track
    closing: int = 0
    """When DT&V means to close the case (it closes later when a statement comes after)."""
    drafts: list[Draft] = field(default_factory=list)
    holder: list[Draft] = field(default_factory=list)
    bags: tuple[list[str], int, float] = field(default_factory=lambda: ([], 1, 10.0))
    """Items, bag count and weight as the holder registered them."""
    holder_location: StorageLocation = StorageLocation.COA_LOCATION
    detained: bool = False
    bookings: list[Booking] = field(default_factory=list)

    def add(self, draft: Draft) -> Draft:
        self.drafts.append(draft)
        return draft

    def of(self, cls: type[ChainEvent]) -> list[Draft]:
        return [d for d in self.drafts if d.cls is cls]

    def drop(self, *drafts: Draft | None) -> None:
        for draft in drafts:
            if draft is not None and draft in self.drafts:
                self.drafts.remove(draft)

    def baggage(self, at: int, bags: int) -> Draft:
        """DT&V's registration of the baggage going on the flight, as it understands it from the holder
        (not yet added: the planner and a baggage defect each decide whether it is made)."""
        items, _, weight = self.bags
        return DTV.baggage(at, items=items, bags=bags, weight=weight, location=self.holder_location)
