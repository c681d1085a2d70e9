"""The figures a simulated case is drawn from: outcome shares, failure reasons, routes, vocabularies.

Why apart from the planner: these are the numbers the seeds give (DTenV 2023, the Inspectorate's 2015 and
2017 figures), each with its source beside it, so they can be checked or tuned without reading how a case
is put together. Each distribution is a :class:`Choice` prepared once, because drawing is the simulator's
main cost.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

from schemas.events import Build, CancellationReason, CaseOutcome, FlightCondition, Track

T = TypeVar("T")


class Choice(Generic[T]):
    """A weighted choice, prepared once: one random number and a bisection per pick."""

    def __init__(self, table: Sequence[tuple[T, float]]) -> None:
        self._values = [value for value, _ in table]
        self._cumulative = list(accumulate(float(weight) for _, weight in table))
        self._total = self._cumulative[-1]

    def pick(self, uniform: float) -> T:
        """The value for a uniform number in [0, 1)."""
        return self._values[bisect.bisect(self._cumulative, uniform * self._total)]

    def share(self, value: T) -> float:
        """How often ``value`` is picked (what the fidelity table claims for it)."""
        i = self._values.index(value)
        return (self._cumulative[i] - (self._cumulative[i - 1] if i else 0.0)) / self._total


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

NEW_CASES_PER_YEAR = 17_670
"""DTenV 2023: new cases in its caseload (seed 003); cases arrive as a Poisson process at this rate."""

DETAINED_IF_BOOKED = {CaseOutcome.FORCED_DEPARTURE: 0.9, CaseOutcome.OUTFLOW_WITHOUT_DEPARTURE: 0.6}
"""Share of forced-track cases with a flight booked that were detained, by outcome (the others: none)."""

DETAINED_OTHERWISE = 0.3
"""Share of the other forced-track cases detained, those that end without departure and had no flight."""

PASSPORT = 0.4
"""Share of cases with a passport in hand (the others need a laissez-passer)."""

BOOKED_WITHOUT_DEPARTURE: dict[tuple[Track, CaseOutcome], float] = {
    (Track.FORCED, CaseOutcome.LEFT_WITHOUT_SUPERVISION): 0.3,
    (Track.FORCED, CaseOutcome.OUTFLOW_WITHOUT_DEPARTURE): 0.3,
    (Track.VOLUNTARY, CaseOutcome.LEFT_WITHOUT_SUPERVISION): 0.185,
    (Track.VOLUNTARY, CaseOutcome.OUTFLOW_WITHOUT_DEPARTURE): 0.176,
}
"""Share of the cases that end without departure that had a flight booked, not carried out (voluntary track:
of those with a travel document; a ticket for an independent departure, not taken). With the failed
attempts before forced departures (:data:`PRIOR_FAILURES`), 43% of booked flights are not flown, of
removals and of independent departures alike (seeds: 39% of booked seats unused in 2015, 47% of planned
removals cancelled in 2017), 14% of bookings cancelled for a new legal procedure and 5% for insufficient
preparation (2017); about 5,920 flights are booked per 15,390 closed procedures (DTenV 2023). Without the
voluntary tickets, every failed booking would be a removal's and only 35% of all bookings would fail."""

PRIOR_FAILURES: Choice[int] = Choice(((0, 78), (1, 18), (2, 4)))
"""Bookings that failed before the one flown in a forced departure (22% of forced departures rebooked)."""

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
"""Why the last booking of a forced-track case that flows out without departure failed."""

VOLUNTARY_OUTFLOW: Choice[CancellationReason] = Choice((
    (CancellationReason.NEW_LEGAL_PROCEDURE, 74),
    (CancellationReason.INSUFFICIENT_PREPARATION, 22),
    (CancellationReason.MEDICAL, 4),
))
"""Why the ticket of a voluntary-track case that flows out without departure was not used."""

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
