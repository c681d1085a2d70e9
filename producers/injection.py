"""Defects: what the simulator can inject, who answers for it, and how a checked case gets its own.

Why apart from planning: a planned case is complete and consistent; defects are dealt afterwards, from a
random stream of their own, to the checked booking (the case's latest, unless it was cancelled before its
checkpoint), and applied by moving, dropping or changing statements. So one seed gives the same cases
under every profile and only the defects differ. Nothing here decides what the truth is: the events that
come out are judged by :mod:`producers.rules`, which never reads this module.

The injection table (:data:`KINDS`, :data:`RESPONSIBLE`) lives here because it says what this module can
do; calibration profiles are checked against it, and the deck deals from it.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from producers import clock
from producers.clock import DAY, HOUR, MINUTE
from producers.drafts import Booking, CaseDrafts
from producers.partners import MEDICAL, Draft
from schemas.categories import Category, DefectKind
from schemas.events import (
    FitToFly,
    MedicalSituation,
    Partner,
    PhysicalFeatures,
    RemovabilityConfirmed,
    Track,
    TravelDocumentObtained,
)

MISSING, LATE = DefectKind.MISSING, DefectKind.LATE

LATE_WINDOW = (10 * MINUTE, 50 * MINUTE)
"""How long after the checkpoint a late statement is recorded (seconds, from and to).

Why within the hour: a partner that misses the checkpoint catches up when chased, and the validator decides
a case an allowed lateness (default 1 h) after its checkpoint; a statement recorded by then is judged late
in the case's first finding, which then never changes. A statement recorded after the decision is missing
at the decision, and its arrival revises the finding (missing to late, with the reason); the validator's
tests make those themselves."""
CONTRADICTORY, INVALID = DefectKind.CONTRADICTORY, DefectKind.INVALID

KINDS: dict[Category, tuple[DefectKind, ...]] = {
    Category.BELONGINGS: (MISSING, LATE),
    Category.BAGGAGE: (CONTRADICTORY,),
    Category.PHYSICAL_FEATURES: (MISSING, LATE),
    Category.MEDICAL: (MISSING, LATE, CONTRADICTORY),
    Category.FIT_TO_FLY: (MISSING, LATE, CONTRADICTORY),
    Category.FLIGHT_BOOKING: (INVALID,),
    Category.NOTIFICATION: (MISSING, LATE),
    Category.TRAVEL_DOCUMENT: (MISSING, LATE, INVALID),
    Category.REMOVABILITY: (MISSING, LATE, CONTRADICTORY),
    Category.ESCORT: (MISSING, LATE, CONTRADICTORY),
}
"""The defect kinds the simulator can inject in each category, so the kinds a profile may give rates for
(a test injects every one and finds the truth's rules judge it so)."""

RESPONSIBLE: dict[Category, frozenset[Partner]] = {
    Category.BELONGINGS: frozenset({Partner.COA, Partner.DJI}),
    Category.BAGGAGE: frozenset({Partner.DTV}),
    Category.PHYSICAL_FEATURES: frozenset({Partner.DTV}),
    Category.MEDICAL: frozenset({Partner.MEDICAL}),
    Category.FIT_TO_FLY: frozenset({Partner.MEDICAL}),
    Category.FLIGHT_BOOKING: frozenset({Partner.DTV}),
    Category.NOTIFICATION: frozenset({Partner.DTV}),
    Category.TRAVEL_DOCUMENT: frozenset({Partner.DTV}),
    Category.REMOVABILITY: frozenset({Partner.IND}),
    Category.ESCORT: frozenset({Partner.KMAR}),
}
"""Partners a defect of each category can be attributed to by the simulator's injections (the rules
attribute baggage and medical contradictions to whoever reported, which the simulator makes DT&V and the
medical service); calibration profiles give rates per (partner, category) from this table."""

_SOLE = {category: partner for category, partners in RESPONSIBLE.items() if len(partners) == 1
         for partner in partners}
"""The categories one partner always answers for (all but belongings, whose holder depends on the case)."""

Card = dict[Category, DefectKind]
"""The defects one checked case gets: at most one kind per category."""


def responsible(c: CaseDrafts) -> dict[Category, Partner]:
    """Who answers for each category in this case: the holder of the belongings (DJI when detained, else
    COA), and the one partner of every other category."""
    return {Category.BELONGINGS: Partner.DJI if c.detained else Partner.COA, **_SOLE}


class Injector:
    """Deals checked cases their defects (``deal``: a calibrated deck) and applies them with ``rng``."""

    def __init__(self, deal: Callable[[dict[Category, Partner]], Card], rng: random.Random) -> None:
        self._deal = deal
        self._rng = rng

    def inject(self, c: CaseDrafts) -> Card:
        """Deal the checked booking its defects and apply them to the plan; empty when the case is not
        checked (voluntary track, no booking, or its last booking cancelled before the checkpoint)."""
        if c.track is not Track.FORCED or not c.bookings:
            return {}
        b = c.bookings[-1]
        if b.cancelled is not None and b.cancelled.at < b.checkpoint:
            return {}
        card = self._deal(responsible(c))
        for category, kind in card.items():
            _INJECT[category](self, c, b, kind)
        return card

    def _late(self, b: Booking) -> int:
        """A moment in :data:`LATE_WINDOW` after the checkpoint."""
        return b.checkpoint + self._rng.randint(*LATE_WINDOW)

    def _make_late(self, c: CaseDrafts, drafts: list[Draft], b: Booking) -> None:
        """Only the last of these statements is made, and after the checkpoint."""
        if not drafts:
            return
        keep = drafts[-1]
        c.drop(*drafts[:-1])
        keep.move(self._late(b))

    def _belongings(self, c: CaseDrafts, b: Booking, kind: DefectKind) -> None:
        self._presence(c, c.holder, b, kind)

    def _baggage(self, c: CaseDrafts, b: Booking, kind: DefectKind) -> None:
        bags = c.bags[1]
        other = bags + 1 if bags < 2 or self._rng.random() < 0.5 else bags - 1
        if b.baggage is None:
            b.baggage = c.add(c.baggage(b.checkpoint - self._rng.randint(12 * HOUR, 3 * DAY), other))
        b.baggage.fields["bag_count"] = other

    def _presence(self, c: CaseDrafts, drafts: list[Draft], b: Booking, kind: DefectKind) -> None:
        """missing drops them all; late makes only the last, after the checkpoint."""
        if kind is MISSING:
            c.drop(*drafts)
        else:
            self._make_late(c, drafts, b)

    def _features(self, c: CaseDrafts, b: Booking, kind: DefectKind) -> None:
        self._presence(c, c.of(PhysicalFeatures), b, kind)

    def _medical(self, c: CaseDrafts, b: Booking, kind: DefectKind) -> None:
        situations = c.of(MedicalSituation)
        if kind is CONTRADICTORY:
            until = clock.day_of(b.departure + self._rng.randint(7 * DAY, 45 * DAY))
            c.add(MEDICAL.situation(b.checkpoint - self._rng.randint(HOUR, 2 * DAY), relevant=True,
                                    postponed_until=until))
        elif kind is MISSING:
            c.drop(*situations)
        else:
            self._make_late(c, [d for d in situations if d.at <= b.checkpoint], b)

    def _fit(self, c: CaseDrafts, b: Booking, kind: DefectKind) -> None:
        fits = c.of(FitToFly)
        assert b.fit is not None
        if kind is CONTRADICTORY:
            b.fit.fields["valid_until"] = clock.at(b.departure - self._rng.randint(HOUR, DAY))
        elif kind is MISSING:
            c.drop(*fits)
        else:
            c.drop(*fits)
            c.add(b.fit)
            at = self._late(b)
            issued = at - self._rng.randint(10 * MINUTE, 3 * HOUR)
            b.fit.move(at)
            b.fit.occurred = issued
            b.fit.fields["issued_at"] = clock.at(issued)

    def _booking(self, c: CaseDrafts, b: Booking, kind: DefectKind) -> None:
        for draft in (b.booked, b.cancelled):
            if draft is not None:
                draft.fields["arrival_airport"] = draft.fields["departure_airport"]

    def _notice(self, c: CaseDrafts, b: Booking, kind: DefectKind) -> None:
        assert b.notice is not None
        if kind is MISSING:
            c.drop(b.notice)
            return
        notified = self._late(b) - 10 * MINUTE
        b.notice.fields["notified_at"] = clock.at(notified)
        b.notice.at = notified + self._rng.randint(MINUTE, 10 * MINUTE)
        b.notice.occurred = notified

    def _document(self, c: CaseDrafts, b: Booking, kind: DefectKind) -> None:
        documents = c.of(TravelDocumentObtained)
        if kind is INVALID:
            expired = b.departure - self._rng.randint(DAY, 30 * DAY)
            documents[-1].fields["valid_until"] = clock.day_of(expired)
        else:
            self._presence(c, documents, b, kind)

    def _removability(self, c: CaseDrafts, b: Booking, kind: DefectKind) -> None:
        assert b.removability is not None
        if kind is CONTRADICTORY:
            b.removability.fields.update(removable=False, pending_procedure=True)
        elif kind is MISSING:
            c.drop(*c.of(RemovabilityConfirmed))
        else:
            self._make_late(c, [d for d in c.of(RemovabilityConfirmed) if d.at <= b.checkpoint], b)

    def _escort(self, c: CaseDrafts, b: Booking, kind: DefectKind) -> None:
        assert b.escort is not None
        if kind is CONTRADICTORY:
            count = b.escorts + 1 if b.escorts < 4 else b.escorts - 1
            b.escort.fields.update(escort_count=count, escorted=count > 0)
        else:
            self._presence(c, [b.escort], b, kind)


_INJECT: dict[Category, Callable[[Injector, CaseDrafts, Booking, DefectKind], None]] = {
    Category.BELONGINGS: Injector._belongings,
    Category.BAGGAGE: Injector._baggage,
    Category.PHYSICAL_FEATURES: Injector._features,
    Category.MEDICAL: Injector._medical,
    Category.FIT_TO_FLY: Injector._fit,
    Category.FLIGHT_BOOKING: Injector._booking,
    Category.NOTIFICATION: Injector._notice,
    Category.TRAVEL_DOCUMENT: Injector._document,
    Category.REMOVABILITY: Injector._removability,
    Category.ESCORT: Injector._escort,
}
