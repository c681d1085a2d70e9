"""One case from handover to closure, planned whole on the simulated clock, then judged.

The process follows the chain (docs/simulation.md has the timeline): IND hands the case over with the
return decision (28 days to leave, or immediately with an entry ban on the forced track); DT&V holds
departure talks by day 10, around day 15 and sometimes a third; travel documents are requested and some
obtained; part of the forced track is detained; belongings, medical situation and physical features are
registered by their owners; DT&V books flights, each prepared with a fit-to-fly, an escort plan,
IND's removability check and the 48-hour notice; KMar confirms or aborts the departure; DT&V closes the
case with its outcome.

Why plan a case whole: outcomes are drawn first (DTenV 2023 shares) and the path is built to fit, so the
figures hold by construction; every statement is then consistent with the flights it prepares (a fit to
fly outlasts the flight, a laissez-passer covers the last booking) and the ideal profile has no defects.
Defects are dealt afterwards to the checked booking (the case's latest) and applied by moving or
dropping statements. Three random streams (lifecycle, defects, ids) keep the same seed's cases
identical across profiles except for the defects.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import accumulate
from typing import Generic, TypeVar

from producers import clock
from producers.clock import DAY, HOUR, MINUTE
from producers.deck import Card, DefectDeck
from producers.partners import COA, DJI, DTV, IND, KMAR, MEDICAL, POLICE, Coa, Dji, Draft
from producers.profile import Profile
from producers.rules import Verdict, judge
from schemas.categories import Category, DefectKind
from schemas.events import (
    Build,
    CancellationReason,
    CaseOutcome,
    ChainEvent,
    DetentionEndReason,
    DocumentType,
    FitToFly,
    FlightCondition,
    MedicalSituation,
    Partner,
    PhysicalFeatures,
    RemovabilityConfirmed,
    StorageLocation,
    TalkOutcome,
    Track,
    TravelDocumentObtained,
)

T = TypeVar("T")


class Choice(Generic[T]):
    """A weighted choice, prepared once: one random number and a bisection per pick."""

    def __init__(self, table: Sequence[tuple[T, float]]) -> None:
        self.values = [value for value, _ in table]
        self.weights = [float(weight) for _, weight in table]
        self._cumulative = list(accumulate(self.weights))
        self._total = self._cumulative[-1]

    def pick(self, uniform: float) -> T:
        """The value for a uniform number in [0, 1)."""
        return self.values[bisect.bisect(self._cumulative, uniform * self._total)]

    def share(self, value: T) -> float:
        """The probability of ``value``."""
        return sum(w for v, w in zip(self.values, self.weights, strict=True) if v == value) / self._total

OUTCOMES: Choice[CaseOutcome] = Choice((
    (CaseOutcome.INDEPENDENT_DEPARTURE, 3380),
    (CaseOutcome.FORCED_DEPARTURE, 2360),
    (CaseOutcome.LEFT_WITHOUT_SUPERVISION, 4950),
    (CaseOutcome.OUTFLOW_WITHOUT_DEPARTURE, 4700),
))
"""DTenV 2023: 15,390 procedures closed by outcome (seed 003)."""

FORCED_TRACK = {
    CaseOutcome.INDEPENDENT_DEPARTURE: 0.15,
    CaseOutcome.FORCED_DEPARTURE: 1.0,
    CaseOutcome.LEFT_WITHOUT_SUPERVISION: 0.4,
    CaseOutcome.OUTFLOW_WITHOUT_DEPARTURE: 0.4,
}
"""Share of each outcome that started on the forced track (immediate departure, entry ban)."""

BOOKED_WITHOUT_DEPARTURE = 0.3
"""Forced-track cases that end without departure but had a flight booked (it was not carried out)."""

PRIOR_FAILURES: Choice[int] = Choice(((0, 78), (1, 18), (2, 4)))
"""Bookings that failed before the one flown in a forced departure. With the bookings of cases that end
without departure this makes 43% of booked removals not carried out (seeds: 39% in 2015, 47% in 2017),
14% of them cancelled for a new legal procedure and 5% for insufficient preparation (2017)."""

RETRYABLE: Choice[CancellationReason] = Choice((
    (CancellationReason.NEW_LEGAL_PROCEDURE, 25),
    (CancellationReason.INSUFFICIENT_PREPARATION, 33),
    (CancellationReason.RESISTANCE, 15),
    (CancellationReason.CARRIER, 10),
    (CancellationReason.DOCUMENT, 10),
    (CancellationReason.MEDICAL, 7),
))
"""Why a booking failed when the person was rebooked and flown later."""

TERMINAL_OUTFLOW: Choice[CancellationReason] = Choice((
    (CancellationReason.NEW_LEGAL_PROCEDURE, 75),
    (CancellationReason.MEDICAL, 25),
))
"""Why the last booking of a case that flows out without departure failed."""

BEFORE_CHECKPOINT = {
    CancellationReason.NEW_LEGAL_PROCEDURE: 0.5,
    CancellationReason.INSUFFICIENT_PREPARATION: 0.7,
    CancellationReason.DOCUMENT: 0.8,
}
"""Share of DT&V cancellations (by reason) made more than 48 hours before departure."""

AT_THE_DOOR = frozenset({CancellationReason.ABSCONDED, CancellationReason.RESISTANCE, CancellationReason.CARRIER})
"""Reasons KMar reports as an aborted departure on the day itself."""

DESTINATIONS: Choice[tuple[str, str, str]] = Choice((
    (("MAR", "CMN", "AT"), 12), (("DZA", "ALG", "AH"), 10), (("TUN", "TUN", "TU"), 5),
    (("NGA", "LOS", "KL"), 7), (("GHA", "ACC", "KL"), 3), (("TUR", "IST", "TK"), 8),
    (("GEO", "TBS", "TK"), 8), (("ALB", "TIA", "HV"), 7), (("MDA", "KIV", "HV"), 5),
    (("SRB", "BEG", "JU"), 3), (("IRQ", "EBL", "TK"), 6), (("EGY", "CAI", "MS"), 4),
    (("PAK", "ISB", "TK"), 3), (("IND", "DEL", "KL"), 3), (("CHN", "PEK", "KL"), 3),
    (("BRA", "GRU", "KL"), 2), (("COL", "BOG", "KL"), 3), (("MKD", "SKP", "HV"), 2),
    (("DEU", "FRA", "LH"), 3), (("ITA", "FCO", "KL"), 3),
))
"""Country (ISO alpha-3), arrival airport and carrier (IATA) of return flights."""

ORIGINS: Choice[str] = Choice((("AMS", 85), ("EIN", 10), ("RTM", 5)))
ESCORTS: Choice[int] = Choice(((2, 6), (3, 3), (4, 1)))
BUILDS: Choice[Build] = Choice([(b, 1) for b in Build])
CONDITIONS: Choice[FlightCondition] = Choice([(c, 1) for c in FlightCondition])
DETENTION_CENTRES = ("DC-ROTTERDAM", "DC-ZEIST", "JC-SCHIPHOL")
ITEMS = ("clothing", "shoes", "toiletries", "phone charger", "books", "backpack", "suitcase",
         "documents folder", "prayer mat", "blanket")
VALUABLES = ("cash", "mobile phone", "watch", "bank card", "jewellery")
MARKS = ("scar left forearm", "tattoo right shoulder", "scar on chin", "birthmark on neck", "pierced left ear")
MEDICAL_NOTES = (
    ("synthetic record: chronic condition, daily medication", "I10"),
    ("synthetic record: recent surgery, follow-up needed", "Z98.8"),
    ("synthetic record: anxiety complaints, under treatment", "F41.1"),
    ("synthetic record: diabetes, insulin dependent", "E10"),
    ("synthetic record: asthma, inhaler", "J45"),
)
"""Synthetic medical details: realistic in shape, about nobody."""

RESPONSIBLE_FIXED = {
    Category.BAGGAGE: Partner.DTV, Category.PHYSICAL_FEATURES: Partner.DTV, Category.MEDICAL: Partner.MEDICAL,
    Category.FIT_TO_FLY: Partner.MEDICAL, Category.FLIGHT_BOOKING: Partner.DTV,
    Category.NOTIFICATION: Partner.DTV, Category.TRAVEL_DOCUMENT: Partner.DTV,
    Category.REMOVABILITY: Partner.IND, Category.ESCORT: Partner.KMAR,
}


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
class CasePlan:
    """A planned case: its events in recorded order, what the deck dealt, and its ground truth."""

    case_key: str
    events: list[tuple[int, ChainEvent]]
    """(recorded_at in simulated seconds, event), in recorded order."""
    dealt: Card
    verdict: Verdict


@dataclass
class _Case:
    """Working state while a case is planned."""

    key: str
    start: int
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


class Lifecycle:
    """Plans cases one after another from a seed and a defect profile."""

    def __init__(self, seed: int, profile: Profile, case_key: Callable[[str], str]) -> None:
        self._r = random.Random(seed)
        self._rand = self._r.random
        self._ids = random.Random(f"{seed}:ids")
        self._defects = random.Random(f"{seed}:defects")
        self._deck = DefectDeck(profile, self._defects)
        self._case_key = case_key
        self._v_numbers: set[str] = set()

    # -- random helpers (cheap: the generator is the simulator's main cost) --------------------------------

    def _between(self, low: int, high: int) -> int:
        return low + int(self._rand() * (high - low))

    def _chance(self, p: float) -> bool:
        return self._rand() < p

    def _pick(self, choice: Choice[T]) -> T:
        return choice.pick(self._rand())

    def _office(self, day: int) -> int:
        """A moment during office hours (07:00-17:00 UTC) on the day holding ``day``."""
        return clock.midnight(day) + self._between(7 * HOUR, 17 * HOUR)

    def _v_number(self) -> str:
        while True:
            v = f"{self._r.randrange(10**10):010d}"
            if v not in self._v_numbers:
                self._v_numbers.add(v)
                return v

    # -- the case -------------------------------------------------------------------------------------------

    def plan(self, start: int) -> CasePlan:
        """Plan one case whose handover is recorded at ``start``; returns its events and ground truth."""
        v_number = self._v_number()
        c = _Case(self._case_key(v_number), start)
        outcome = self._pick(OUTCOMES)
        track = Track.FORCED if self._chance(FORCED_TRACK[outcome]) else Track.VOLUNTARY
        country, airport, carrier = self._pick(DESTINATIONS)
        decided = clock.day_of(start) - timedelta(days=self._between(0, 4))
        deadline = decided + timedelta(days=28) if track is Track.VOLUNTARY else decided
        c.add(IND.hand_over(start, v_number=v_number, decision_ref=f"RD-{decided.year}-{self._between(0, 10**8):08d}",
                            decision_date=decided, deadline=deadline, track=track))
        talk1 = self._office(start + self._between(2, 10) * DAY)
        if track is Track.FORCED:
            close = self._forced(c, outcome, talk1, country, airport, carrier)
        else:
            close = self._voluntary(c, outcome, talk1, country, airport, carrier)
        self._talks(c, outcome, talk1, close)
        self._cover_documents(c)
        dealt = self._deal(c) if track is Track.FORCED else {}
        last = max(d.at for d in c.drafts)
        c.add(DTV.close(max(close, last + HOUR), outcome=outcome))
        return self._finish(c, dealt)

    def _talks(self, c: _Case, outcome: CaseOutcome, talk1: int, close: int) -> None:
        times = [talk1]
        if self._chance(0.7):
            times.append(self._office(c.start + self._between(13, 17) * DAY))
            if self._chance(0.5):
                times.append(self._office(c.start + self._between(20, 30) * DAY))
        for number, at in enumerate(times, start=1):
            if at >= close:
                break
            c.add(DTV.talk(at, number=number, outcome=self._talk_outcome(outcome, number)))

    def _talk_outcome(self, outcome: CaseOutcome, number: int) -> TalkOutcome:
        if outcome is CaseOutcome.LEFT_WITHOUT_SUPERVISION and number > 1:
            return TalkOutcome.NO_SHOW
        if outcome is CaseOutcome.INDEPENDENT_DEPARTURE or self._chance(0.3):
            return TalkOutcome.COOPERATIVE
        return TalkOutcome.NOT_COOPERATIVE

    def _voluntary(self, c: _Case, outcome: CaseOutcome, talk1: int, country: str, airport: str,
                   carrier: str) -> int:
        """28 days to leave: most leave on their own, some disappear, some flow out otherwise."""
        if self._chance(0.7):
            self._belongings(c, COA, c.start + self._between(DAY, 14 * DAY))
        if self._chance(0.5):
            c.add(COA.medical_situation(c.start + self._between(DAY, 20 * DAY), relevant=self._chance(0.2)))
        document = self._documents(c, talk1, country, obtain=0.5)
        if outcome is not CaseOutcome.INDEPENDENT_DEPARTURE:
            low, high = (30, 90) if outcome is CaseOutcome.LEFT_WITHOUT_SUPERVISION else (30, 120)
            return self._office(c.start + self._between(low, high) * DAY)
        leave = c.start + self._between(14 * DAY, 60 * DAY)
        if document is None or not self._chance(0.5):
            return self._office(leave)
        leave = max(leave, document[0] + 7 * DAY)
        departure = clock.midnight(leave) + self._between(6 * HOUR, 22 * HOUR)
        booked = max(departure - self._between(5 * DAY, 14 * DAY), document[0] + HOUR)
        booking = self._booking(c, booked, departure, airport, carrier, escorts=0, fate=None)
        self._depart(c, booking)
        return self._office(departure + self._between(DAY, 7 * DAY))

    def _forced(self, c: _Case, outcome: CaseOutcome, talk1: int, country: str, airport: str,
                carrier: str) -> int:
        """Immediate departure with an entry ban: detention for part, bookings, the removal or its failure."""
        booked = outcome is CaseOutcome.FORCED_DEPARTURE or (
            outcome is not CaseOutcome.INDEPENDENT_DEPARTURE and self._chance(BOOKED_WITHOUT_DEPARTURE))
        c.add(DTV.features(talk1 + self._between(HOUR, 2 * DAY), height=self._height(),
                           build=self._pick(BUILDS), marks=self._marks(),
                           photo=f"PH-{self._r.getrandbits(40):010x}"))
        if booked:
            detained = {CaseOutcome.FORCED_DEPARTURE: 0.9, CaseOutcome.OUTFLOW_WITHOUT_DEPARTURE: 0.6}
            c.detained = self._chance(detained.get(outcome, 0.0))
        else:
            c.detained = outcome is not CaseOutcome.INDEPENDENT_DEPARTURE and self._chance(0.3)
        if c.detained:
            placed = c.start + self._between(HOUR, 10 * DAY)
            partner = POLICE if self._chance(0.7) else KMAR
            c.add(partner.detain(placed, location=DETENTION_CENTRES[self._between(0, len(DETENTION_CENTRES))]))
            self._belongings(c, DJI, placed + self._between(2 * HOUR, 2 * DAY))
            self._medical(c, placed + self._between(DAY, 5 * DAY))
        else:
            self._belongings(c, COA, c.start + self._between(DAY, 14 * DAY))
            self._medical(c, c.start + self._between(2 * DAY, 14 * DAY))
        document = self._documents(c, talk1, country, obtain=1.0 if booked else 0.35)
        if not booked or document is None:
            return self._without_booking(c, outcome)
        return self._removals(c, outcome, document, airport, carrier)

    def _without_booking(self, c: _Case, outcome: CaseOutcome) -> int:
        if c.detained:
            released = c.start + self._between(14 * DAY, 60 * DAY)
            reason = DetentionEndReason.LIFTED if self._chance(0.8) else DetentionEndReason.OTHER
            c.add(DJI.release(released, reason=reason))
            return self._office(released + self._between(5 * DAY, 30 * DAY))
        low, high = (20, 60) if outcome is CaseOutcome.INDEPENDENT_DEPARTURE else (30, 120)
        return self._office(c.start + self._between(low, high) * DAY)

    def _removals(self, c: _Case, outcome: CaseOutcome, document: tuple[int, Draft | None], airport: str,
                  carrier: str) -> int:
        """Bookings until the removal is flown or the case ends without departure."""
        if outcome is CaseOutcome.FORCED_DEPARTURE:
            fates: list[CancellationReason | None] = [self._pick(RETRYABLE) for _ in range(self._pick(PRIOR_FAILURES))]
            fates.append(None)
        elif outcome is CaseOutcome.LEFT_WITHOUT_SUPERVISION:
            fates = [CancellationReason.ABSCONDED]
        else:
            fates = [self._pick(TERMINAL_OUTFLOW)]
        booked = max(document[0] + self._between(DAY, 5 * DAY), c.start + self._between(18 * DAY, 30 * DAY))
        for number, fate in enumerate(fates, start=1):
            departure = clock.midnight(booked) + self._between(7, 21) * DAY + self._between(6 * HOUR, 22 * HOUR)
            booking = self._booking(c, booked, departure, airport, carrier, escorts=self._pick(ESCORTS), fate=fate)
            self._prepare(c, booking)
            if fate is None:
                self._depart(c, booking)
                return self._office(booking.departure + self._between(DAY, 5 * DAY))
            booked = self._fail(c, booking, fate, retry=number < len(fates))
        ended = c.bookings[-1].ended_at
        if c.detained:
            c.add(DJI.release(ended + self._between(HOUR, 2 * DAY), reason=DetentionEndReason.LIFTED))
        low, high = (3, 30) if outcome is CaseOutcome.LEFT_WITHOUT_SUPERVISION else (10, 60)
        return self._office(ended + self._between(low, high) * DAY)

    def _booking(self, c: _Case, booked_at: int, departure: int, airport: str, carrier: str, *, escorts: int,
                 fate: CancellationReason | None) -> Booking:
        conditions = [self._pick(CONDITIONS)] if escorts and self._chance(0.15) else []
        booking = Booking(f"BK{self._r.getrandbits(32):08X}", booked_at, departure, escorts, conditions, fate)
        booking.booked = c.add(DTV.book(booked_at, ref=booking.ref, carrier=carrier,
                                        flight=f"{carrier}{self._between(100, 10000)}", origin=self._pick(ORIGINS),
                                        destination=airport, departure=departure, escorts=escorts))
        c.bookings.append(booking)
        return booking

    def _prepare(self, c: _Case, b: Booking) -> None:
        """Fit to fly, escort plan, removability, baggage and the 48-hour notice, all before the checkpoint."""
        checkpoint = b.checkpoint
        b.escort = c.add(KMAR.escort_plan(b.booked_at + self._between(DAY, 3 * DAY), ref=b.ref, escorts=b.escorts,
                                          medical_escort=FlightCondition.MEDICAL_ESCORT in b.conditions))
        issued = checkpoint - self._between(DAY, 4 * DAY)
        b.fit = c.add(MEDICAL.fit_to_fly(issued + self._between(10 * MINUTE, 4 * HOUR),
                                         doctor=f"BIG{self._between(0, 10**11):011d}", issued=issued,
                                         valid_until=b.departure + self._between(3 * DAY, 14 * DAY),
                                         conditions=b.conditions))
        b.removability = c.add(IND.confirm_removability(checkpoint - self._between(6 * HOUR, 3 * DAY),
                                                        removable=True, pending_procedure=False))
        notified = checkpoint - self._between(2 * HOUR, 36 * HOUR)
        b.notice = c.add(DTV.notify(notified + self._between(5 * MINUTE, HOUR), ref=b.ref, notified=notified))
        if self._chance(0.6):
            b.baggage = c.add(self._baggage(c, checkpoint - self._between(12 * HOUR, 3 * DAY), c.bags[1]))

    @staticmethod
    def _baggage(c: _Case, at: int, bags: int) -> Draft:
        """DT&V registers the baggage going on the flight, as it understands it from the holder."""
        items, _, weight = c.bags
        return DTV.baggage(at, items=items, bags=bags, weight=weight, location=c.holder_location)

    def _fail(self, c: _Case, b: Booking, reason: CancellationReason, *, retry: bool) -> int:
        """The booking is not carried out; statements planned after that moment are never made.

        Returns when a new booking can be made (``retry``: one will be, so a medical postponement ends first).
        """
        checkpoint, departure = b.checkpoint, b.departure
        assert b.booked is not None
        resume_after = self._between(3 * DAY, 14 * DAY)
        if reason in AT_THE_DOOR:
            ended = departure - self._between(HOUR, 3 * HOUR) if reason is CancellationReason.ABSCONDED \
                else departure + self._between(0, 40 * MINUTE)
            c.add(KMAR.aborted(ended, ref=b.ref, reason=reason))
            b.cancelled = c.add(DTV.cancel(ended + self._between(HOUR, 6 * HOUR), b.booked, reason))
        else:
            if self._chance(BEFORE_CHECKPOINT.get(reason, 0.0)):
                ended = self._between(b.booked_at + DAY, checkpoint - HOUR)
            else:
                ended = self._between(checkpoint + HOUR, departure - 3 * HOUR)
            side = b.booked_at if ended < checkpoint else checkpoint
            if reason is CancellationReason.NEW_LEGAL_PROCEDURE:
                c.add(IND.confirm_removability(max(side + 5 * MINUTE, ended - self._between(10 * MINUTE, 6 * HOUR)),
                                               removable=False, pending_procedure=True))
                resume_after = self._between(14 * DAY, 45 * DAY)
            elif reason is CancellationReason.MEDICAL:
                until = departure + self._between(7 * DAY, 30 * DAY)
                c.add(MEDICAL.situation(max(side + 5 * MINUTE, ended - self._between(30 * MINUTE, 2 * HOUR)),
                                        relevant=True, postponed_until=clock.day_of(until)))
                resume_after = max(resume_after, until - ended - 5 * DAY)
                if retry:
                    c.add(MEDICAL.situation(ended + resume_after - self._between(DAY, 3 * DAY), relevant=True))
            b.cancelled = c.add(DTV.cancel(ended, b.booked, reason))
        b.ended_at = ended
        for draft in (b.escort, b.fit, b.removability, b.notice, b.baggage):
            if draft is not None and draft.at >= ended:
                c.drop(draft)
        return ended + resume_after

    def _depart(self, c: _Case, b: Booking) -> None:
        if c.detained:
            c.add(DJI.release(b.departure - self._between(3 * HOUR, 5 * HOUR), reason=DetentionEndReason.DEPARTED))
        departed = b.departure + self._between(0, 40 * MINUTE)
        c.add(KMAR.departed(departed + self._between(2 * MINUTE, 30 * MINUTE), ref=b.ref, departed=departed))
        b.ended_at = departed

    # -- registrations ------------------------------------------------------------------------------------

    def _belongings(self, c: _Case, holder: Coa | Dji, at: int) -> None:
        """The holder (COA where the person lives, DJI at detention intake) registers the belongings."""
        items = self._r.sample(ITEMS, self._between(2, 6))
        bags, weight = self._between(1, 4), round(5 + self._rand() * 35, 1)
        c.bags = (items, bags, weight)
        c.holder_location = StorageLocation.DETENTION_CENTRE if holder is DJI else StorageLocation.COA_LOCATION
        c.holder.append(c.add(holder.belongings(at, items=items, bags=bags, weight=weight,
                                                valuables=self._r.sample(VALUABLES, self._between(0, 3)))))

    def _medical(self, c: _Case, at: int) -> None:
        relevant = self._chance(0.25)
        c.add(MEDICAL.situation(at, relevant=relevant))
        if relevant:
            text, code = MEDICAL_NOTES[self._between(0, len(MEDICAL_NOTES))]
            c.add(MEDICAL.details(at + MINUTE, text=text, code=code))

    def _documents(self, c: _Case, talk1: int, country: str, obtain: float) -> tuple[int, Draft | None] | None:
        """A passport in hand, or a laissez-passer requested and perhaps obtained: (in hand at, draft)."""
        at = talk1 + self._between(HOUR, 2 * DAY)
        if self._chance(0.4):
            valid = clock.day_of(at) + timedelta(days=self._between(365, 8 * 365))
            return at, c.add(DTV.document_obtained(at, kind=DocumentType.PASSPORT, country=country,
                                                   valid_until=valid))
        c.add(DTV.request_document(at, country=country))
        if not self._chance(obtain):
            return None
        obtained = self._office(at + self._between(7 * DAY, 40 * DAY))
        draft = c.add(DTV.document_obtained(obtained, kind=DocumentType.LAISSEZ_PASSER, country=country,
                                            valid_until=clock.day_of(obtained + 30 * DAY)))
        return obtained, draft

    def _height(self) -> int:
        return max(140, min(205, int(self._r.gauss(172, 9))))

    def _marks(self) -> list[str]:
        return self._r.sample(MARKS, self._between(0, 3))

    # -- defects ------------------------------------------------------------------------------------------

    def _deal(self, c: _Case) -> Card:
        """Deal the checked booking its defects and apply them to the plan."""
        if not c.bookings:
            return {}
        b = c.bookings[-1]
        if b.cancelled is not None and b.cancelled.at < b.checkpoint:
            return {}
        holder = Partner.DJI if c.detained else Partner.COA
        card = self._deck.deal({Category.BELONGINGS: holder, **RESPONSIBLE_FIXED})
        for category, kind in card.items():
            _INJECT[category](self, c, b, kind)
        return card

    def _cover_documents(self, c: _Case) -> None:
        """A laissez-passer is issued to cover the last booked flight (valid until after it)."""
        if not c.bookings:
            return
        last = c.bookings[-1].departure
        for draft in c.of(TravelDocumentObtained):
            if draft.fields["document_type"] is DocumentType.LAISSEZ_PASSER:
                draft.fields["valid_until"] = max(draft.fields["valid_until"],
                                                  clock.day_of(last + self._between(3 * DAY, 30 * DAY)))

    def _late(self, b: Booking) -> int:
        """A moment after the checkpoint and before departure."""
        return self._defects.randint(b.checkpoint + 10 * MINUTE, b.departure - 30 * MINUTE)

    def _make_late(self, c: _Case, drafts: list[Draft], b: Booking) -> None:
        """Only the last of these statements is made, and after the checkpoint."""
        if not drafts:
            return
        keep = drafts[-1]
        c.drop(*drafts[:-1])
        keep.move(self._late(b))

    def _inject_belongings(self, c: _Case, b: Booking, kind: DefectKind) -> None:
        if kind is DefectKind.MISSING:
            c.drop(*c.holder)
        else:
            self._make_late(c, c.holder, b)

    def _inject_baggage(self, c: _Case, b: Booking, kind: DefectKind) -> None:
        bags = c.bags[1]
        other = bags + 1 if bags < 2 or self._defects.random() < 0.5 else bags - 1
        if b.baggage is None:
            b.baggage = c.add(self._baggage(c, b.checkpoint - self._defects.randint(12 * HOUR, 3 * DAY), other))
        b.baggage.fields["bag_count"] = other

    def _inject_presence(self, c: _Case, drafts: list[Draft], b: Booking, kind: DefectKind) -> None:
        if kind is DefectKind.MISSING:
            c.drop(*drafts)
        else:
            self._make_late(c, drafts, b)

    def _inject_features(self, c: _Case, b: Booking, kind: DefectKind) -> None:
        self._inject_presence(c, c.of(PhysicalFeatures), b, kind)

    def _inject_medical(self, c: _Case, b: Booking, kind: DefectKind) -> None:
        situations = c.of(MedicalSituation)
        if kind is DefectKind.CONTRADICTORY:
            until = clock.day_of(b.departure + self._defects.randint(7 * DAY, 45 * DAY))
            c.add(MEDICAL.situation(b.checkpoint - self._defects.randint(HOUR, 2 * DAY), relevant=True,
                                    postponed_until=until))
        elif kind is DefectKind.MISSING:
            c.drop(*situations)
        else:
            self._make_late(c, [d for d in situations if d.at <= b.checkpoint], b)

    def _inject_fit(self, c: _Case, b: Booking, kind: DefectKind) -> None:
        fits = c.of(FitToFly)
        assert b.fit is not None
        if kind is DefectKind.CONTRADICTORY:
            b.fit.fields["valid_until"] = clock.at(b.departure - self._defects.randint(HOUR, DAY))
        elif kind is DefectKind.MISSING:
            c.drop(*fits)
        else:
            c.drop(*fits)
            c.add(b.fit)
            at = self._late(b)
            issued = at - self._defects.randint(10 * MINUTE, 3 * HOUR)
            b.fit.move(at)
            b.fit.occurred = issued
            b.fit.fields["issued_at"] = clock.at(issued)

    def _inject_booking(self, c: _Case, b: Booking, kind: DefectKind) -> None:
        for draft in (b.booked, b.cancelled):
            if draft is not None:
                draft.fields["arrival_airport"] = draft.fields["departure_airport"]

    def _inject_notice(self, c: _Case, b: Booking, kind: DefectKind) -> None:
        assert b.notice is not None
        if kind is DefectKind.MISSING:
            c.drop(b.notice)
            return
        notified = b.departure - self._defects.randint(6 * HOUR, 47 * HOUR)
        b.notice.fields["notified_at"] = clock.at(notified)
        b.notice.at = notified + self._defects.randint(5 * MINUTE, HOUR)
        b.notice.occurred = notified

    def _inject_document(self, c: _Case, b: Booking, kind: DefectKind) -> None:
        documents = c.of(TravelDocumentObtained)
        if kind is DefectKind.INVALID:
            expired = b.departure - self._defects.randint(DAY, 30 * DAY)
            documents[-1].fields["valid_until"] = clock.day_of(expired)
        else:
            self._inject_presence(c, documents, b, kind)

    def _inject_removability(self, c: _Case, b: Booking, kind: DefectKind) -> None:
        assert b.removability is not None
        if kind is DefectKind.CONTRADICTORY:
            b.removability.fields.update(removable=False, pending_procedure=True)
        elif kind is DefectKind.MISSING:
            c.drop(*c.of(RemovabilityConfirmed))
        else:
            self._make_late(c, [d for d in c.of(RemovabilityConfirmed) if d.at <= b.checkpoint], b)

    def _inject_escort(self, c: _Case, b: Booking, kind: DefectKind) -> None:
        assert b.escort is not None
        if kind is DefectKind.CONTRADICTORY:
            count = b.escorts + 1 if b.escorts < 4 else b.escorts - 1
            b.escort.fields.update(escort_count=count, escorted=count > 0)
        else:
            self._inject_presence(c, [b.escort], b, kind)

    # -- events and truth -----------------------------------------------------------------------------------

    def _finish(self, c: _Case, dealt: Card) -> CasePlan:
        drafts = sorted(c.drafts, key=lambda d: d.at)
        ids = self._ids.getrandbits
        events = [(d.at, d.build(_uuid4(ids(128)), c.key)) for d in drafts]
        return CasePlan(c.key, events, dealt, judge(c.key, (e for _, e in events)))


_INJECT: dict[Category, Callable[[Lifecycle, _Case, Booking, DefectKind], None]] = {
    Category.BELONGINGS: Lifecycle._inject_belongings,
    Category.BAGGAGE: Lifecycle._inject_baggage,
    Category.PHYSICAL_FEATURES: Lifecycle._inject_features,
    Category.MEDICAL: Lifecycle._inject_medical,
    Category.FIT_TO_FLY: Lifecycle._inject_fit,
    Category.FLIGHT_BOOKING: Lifecycle._inject_booking,
    Category.NOTIFICATION: Lifecycle._inject_notice,
    Category.TRAVEL_DOCUMENT: Lifecycle._inject_document,
    Category.REMOVABILITY: Lifecycle._inject_removability,
    Category.ESCORT: Lifecycle._inject_escort,
}


def _uuid4(bits: int) -> str:
    """A version-4 UUID string from 128 random bits (cheaper than building a uuid.UUID)."""
    bits = (bits & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

