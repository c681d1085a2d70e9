"""The path of one case from handover to closure, planned whole on the simulated clock, without defects.

The process follows the chain (docs/simulation.md has the timeline): IND hands the case over with the
return decision (28 days to leave, or immediately with an entry ban on the forced track); DT&V holds
departure talks by day 10, around day 15 and sometimes a third; travel documents are requested and some
obtained; part of the forced track is detained; belongings, medical situation and physical features are
registered by their owners; DT&V books flights, each prepared with a fit-to-fly, an escort plan,
IND's removability check and the 48-hour notice; KMar confirms or aborts the departure; DT&V closes the
case with its outcome.

Why plan a case whole: outcomes are drawn first (DTenV 2023 shares, :mod:`producers.calibration`) and the
path is built to fit, so the figures hold by construction; every statement is then consistent with the
flights it prepares (a fit to fly outlasts the flight, a laissez-passer covers the last booking), so a case
as planned here has no defects. Defects are dealt afterwards (:mod:`producers.injection`), from a random
stream of their own, so one seed plans the same cases under every profile.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from producers import clock
from producers.calibration import (
    AT_THE_DOOR,
    BEFORE_CHECKPOINT,
    BOOKED_WITHOUT_DEPARTURE,
    BUILDS,
    CONDITIONS,
    DESTINATIONS,
    DETAINED_IF_BOOKED,
    DETAINED_OTHERWISE,
    DETENTION_CENTRES,
    ESCORTS,
    FORCED_TRACK,
    ITEMS,
    MARKS,
    MEDICAL_NOTES,
    ORIGINS,
    OUTCOMES,
    PASSPORT,
    PRIOR_FAILURES,
    RETRYABLE,
    TERMINAL_OUTFLOW,
    VALUABLES,
    VOLUNTARY_OUTFLOW,
    Choice,
)
from producers.clock import DAY, HOUR, MINUTE
from producers.drafts import Booking, CaseDrafts
from producers.partners import COA, DJI, DTV, IND, KMAR, MEDICAL, POLICE, Coa, Dji, Draft
from schemas.events import (
    CancellationReason,
    CaseOutcome,
    DetentionEndReason,
    DocumentType,
    FlightCondition,
    StorageLocation,
    TalkOutcome,
    Track,
    TravelDocumentObtained,
)

T = TypeVar("T")


class Planner:
    """Plans cases one after another from one random stream; case keys from ``case_key(v_number)``."""

    def __init__(self, rng: random.Random, case_key: Callable[[str], str]) -> None:
        self._r = rng
        self._rand = rng.random
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

    def plan(self, start: int) -> CaseDrafts:
        """Plan one case whose handover is recorded at ``start``, up to (not including) its closure."""
        v_number = self._v_number()
        outcome = self._pick(OUTCOMES)
        track = Track.FORCED if self._chance(FORCED_TRACK[outcome]) else Track.VOLUNTARY
        c = CaseDrafts(self._case_key(v_number), start, outcome, track)
        country, airport, carrier = self._pick(DESTINATIONS)
        decided = clock.day_of(start) - timedelta(days=self._between(0, 4))
        deadline = decided + timedelta(days=28) if track is Track.VOLUNTARY else decided
        c.add(IND.hand_over(start, v_number=v_number, decision_ref=f"RD-{decided.year}-{self._between(0, 10**8):08d}",
                            decision_date=decided, deadline=deadline, track=track))
        talk1 = self._office(start + self._between(2, 10) * DAY)
        if track is Track.FORCED:
            c.closing = self._forced(c, outcome, talk1, country, airport, carrier)
        else:
            c.closing = self._voluntary(c, outcome, talk1, country, airport, carrier)
        self._talks(c, outcome, talk1, c.closing)
        self._cover_documents(c)
        return c

    @staticmethod
    def close(c: CaseDrafts) -> None:
        """DT&V closes the case with its outcome, after every other statement (defects may have moved one
        past the planned closure)."""
        last = max(d.at for d in c.drafts)
        c.add(DTV.close(max(c.closing, last + HOUR), outcome=c.outcome))

    def _talks(self, c: CaseDrafts, outcome: CaseOutcome, talk1: int, close: int) -> None:
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

    def _voluntary(self, c: CaseDrafts, outcome: CaseOutcome, talk1: int, country: str, airport: str,
                   carrier: str) -> int:
        """28 days to leave: most leave on their own, some disappear, some flow out otherwise."""
        if self._chance(0.7):
            self._belongings(c, COA, c.start + self._between(DAY, 14 * DAY))
        if self._chance(0.5):
            c.add(COA.medical_situation(c.start + self._between(DAY, 20 * DAY), relevant=self._chance(0.2)))
        document = self._documents(c, talk1, country, obtain=0.5)
        if outcome is CaseOutcome.INDEPENDENT_DEPARTURE:
            leave = c.start + self._between(14 * DAY, 60 * DAY)
            if document is None or not self._chance(0.5):
                return self._office(leave)
            booking = self._ticket(c, leave, document[0], airport, carrier, fate=None)
            self._depart(c, booking)
            return self._office(booking.departure + self._between(DAY, 7 * DAY))
        if document is None or not self._chance(BOOKED_WITHOUT_DEPARTURE[(Track.VOLUNTARY, outcome)]):
            low, high = (30, 90) if outcome is CaseOutcome.LEFT_WITHOUT_SUPERVISION else (30, 120)
            return self._office(c.start + self._between(low, high) * DAY)
        fate = CancellationReason.ABSCONDED if outcome is CaseOutcome.LEFT_WITHOUT_SUPERVISION \
            else self._pick(VOLUNTARY_OUTFLOW)
        booking = self._ticket(c, c.start + self._between(14 * DAY, 60 * DAY), document[0], airport, carrier, fate=fate)
        self._fail(c, booking, fate, retry=False)
        return self._after_failure(c, outcome)

    def _ticket(self, c: CaseDrafts, leave: int, document_at: int, airport: str, carrier: str, *,
                fate: CancellationReason | None) -> Booking:
        """The flight DT&V books for an independent departure: no escorts, no preparation for a removal."""
        leave = max(leave, document_at + 7 * DAY)
        departure = clock.midnight(leave) + self._between(6 * HOUR, 22 * HOUR)
        booked = max(departure - self._between(5 * DAY, 14 * DAY), document_at + HOUR)
        return self._booking(c, booked, departure, airport, carrier, escorts=0, fate=fate)

    def _forced(self, c: CaseDrafts, outcome: CaseOutcome, talk1: int, country: str, airport: str,
                carrier: str) -> int:
        """Immediate departure with an entry ban: detention for part, bookings, the removal or its failure."""
        booked = outcome is CaseOutcome.FORCED_DEPARTURE or (
            outcome is not CaseOutcome.INDEPENDENT_DEPARTURE
            and self._chance(BOOKED_WITHOUT_DEPARTURE[(Track.FORCED, outcome)]))
        c.add(DTV.features(talk1 + self._between(HOUR, 2 * DAY), height=self._height(),
                           build=self._pick(BUILDS), marks=self._marks(),
                           photo=f"PH-{self._r.getrandbits(40):010x}"))
        if booked:
            c.detained = self._chance(DETAINED_IF_BOOKED.get(outcome, 0.0))
        else:
            c.detained = outcome is not CaseOutcome.INDEPENDENT_DEPARTURE and self._chance(DETAINED_OTHERWISE)
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

    def _without_booking(self, c: CaseDrafts, outcome: CaseOutcome) -> int:
        if c.detained:
            released = c.start + self._between(14 * DAY, 60 * DAY)
            reason = DetentionEndReason.LIFTED if self._chance(0.8) else DetentionEndReason.OTHER
            c.add(DJI.release(released, reason=reason))
            return self._office(released + self._between(5 * DAY, 30 * DAY))
        low, high = (20, 60) if outcome is CaseOutcome.INDEPENDENT_DEPARTURE else (30, 120)
        return self._office(c.start + self._between(low, high) * DAY)

    def _removals(self, c: CaseDrafts, outcome: CaseOutcome, document: tuple[int, Draft | None], airport: str,
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
        return self._after_failure(c, outcome)

    def _after_failure(self, c: CaseDrafts, outcome: CaseOutcome) -> int:
        """When DT&V closes a case whose last booking was not carried out: soon after someone disappears,
        later when the case flows out otherwise."""
        low, high = (3, 30) if outcome is CaseOutcome.LEFT_WITHOUT_SUPERVISION else (10, 60)
        return self._office(c.bookings[-1].ended_at + self._between(low, high) * DAY)

    def _booking(self, c: CaseDrafts, booked_at: int, departure: int, airport: str, carrier: str, *, escorts: int,
                 fate: CancellationReason | None) -> Booking:
        conditions = [self._pick(CONDITIONS)] if escorts and self._chance(0.15) else []
        booking = Booking(f"BK{self._r.getrandbits(32):08X}", booked_at, departure, escorts, conditions, fate)
        booking.booked = c.add(DTV.book(booked_at, ref=booking.ref, carrier=carrier,
                                        flight=f"{carrier}{self._between(100, 10000)}", origin=self._pick(ORIGINS),
                                        destination=airport, departure=departure, escorts=escorts))
        c.bookings.append(booking)
        return booking

    def _prepare(self, c: CaseDrafts, b: Booking) -> None:
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
            b.baggage = c.add(c.baggage(checkpoint - self._between(12 * HOUR, 3 * DAY), c.bags[1]))


    def _fail(self, c: CaseDrafts, b: Booking, reason: CancellationReason, *, retry: bool) -> int:
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

    def _depart(self, c: CaseDrafts, b: Booking) -> None:
        if c.detained:
            c.add(DJI.release(b.departure - self._between(3 * HOUR, 5 * HOUR), reason=DetentionEndReason.DEPARTED))
        departed = b.departure + self._between(0, 40 * MINUTE)
        c.add(KMAR.departed(departed + self._between(2 * MINUTE, 30 * MINUTE), ref=b.ref, departed=departed))
        b.ended_at = departed

    # -- registrations ------------------------------------------------------------------------------------

    def _belongings(self, c: CaseDrafts, holder: Coa | Dji, at: int) -> None:
        """The holder (COA where the person lives, DJI at detention intake) registers the belongings."""
        items = self._r.sample(ITEMS, self._between(2, 6))
        bags, weight = self._between(1, 4), round(5 + self._rand() * 35, 1)
        c.bags = (items, bags, weight)
        c.holder_location = StorageLocation.DETENTION_CENTRE if holder is DJI else StorageLocation.COA_LOCATION
        c.holder.append(c.add(holder.belongings(at, items=items, bags=bags, weight=weight,
                                                valuables=self._r.sample(VALUABLES, self._between(0, 3)))))

    def _medical(self, c: CaseDrafts, at: int) -> None:
        relevant = self._chance(0.25)
        c.add(MEDICAL.situation(at, relevant=relevant))
        if relevant:
            text, code = MEDICAL_NOTES[self._between(0, len(MEDICAL_NOTES))]
            c.add(MEDICAL.details(at + MINUTE, text=text, code=code))

    def _documents(self, c: CaseDrafts, talk1: int, country: str, obtain: float) -> tuple[int, Draft | None] | None:
        """A passport in hand, or a laissez-passer requested and perhaps obtained: (in hand at, draft)."""
        at = talk1 + self._between(HOUR, 2 * DAY)
        if self._chance(PASSPORT):
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

    def _cover_documents(self, c: CaseDrafts) -> None:
        """A laissez-passer is issued to cover the last booked flight (valid until after it)."""
        if not c.bookings:
            return
        last = c.bookings[-1].departure
        for draft in c.of(TravelDocumentObtained):
            if draft.fields["document_type"] is DocumentType.LAISSEZ_PASSER:
                draft.fields["valid_until"] = max(draft.fields["valid_until"],
                                                  clock.day_of(last + self._between(3 * DAY, 30 * DAY)))
