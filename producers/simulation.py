"""The simulation: cases arriving over time, their events merged into one stream in recorded order.

Cases arrive as a Poisson process at DTenV's 2023 intake (17,670 new cases a year, about 48 a day), each
planned whole on arrival; events are released across cases by ``recorded_at`` (ties in planning order),
so the stream looks like the chain's traffic day by day rather than case after case.
Everything is drawn from random streams seeded by ``seed``: one seed and profile, one stream.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from producers import clock
from producers.calibration import NEW_CASES_PER_YEAR
from producers.lifecycle import CasePlan, Lifecycle
from producers.profile import Profile
from producers.rules import Verdict
from schemas.events import ChainEvent

FIRST_ARRIVAL = 8 * clock.HOUR


class Simulation:
    """``cases`` cases from ``seed`` with defects per ``profile``; case keys from ``case_key(v_number)``."""

    def __init__(self, *, cases: int, seed: int, profile: Profile, case_key: Callable[[str], str]) -> None:
        if cases < 0:
            raise ValueError("cases must be >= 0")
        self.cases = cases
        self.seed = seed
        self.profile = profile
        self.epoch = clock.epoch_for(seed)
        self._lifecycle = Lifecycle(seed, profile, case_key)
        self._arrivals = random.Random(f"{seed}:arrivals")

    def plans(self) -> Iterator[CasePlan]:
        """Every case, planned in arrival order (unmerged: truth and calibration need no ordering)."""
        mean_gap = 365 * clock.DAY / NEW_CASES_PER_YEAR
        expo = self._arrivals.expovariate
        arrival = self.epoch + FIRST_ARRIVAL
        for _ in range(self.cases):
            yield self._lifecycle.plan(arrival)
            arrival += 1 + int(expo(1.0) * mean_gap)

    def events(self, on_case: Callable[[CasePlan], None] | None = None) -> Iterator[tuple[int, ChainEvent]]:
        """Every event as ``(recorded_at in simulated seconds, event)``, in recorded order.

        ``on_case`` sees each case as it is planned (before its first event is yielded), in arrival order.
        Events wait in one bucket per simulated day; a day is sorted and released once every case
        arriving by its end is planned (no case has an event before its arrival), so the order is exactly
        (recorded_at, planning order) — what a heap would give, for a sort per day instead of two heap
        operations per event.
        """
        buckets: dict[int, list[tuple[int, int, ChainEvent]]] = {}
        sequence = 0
        plans = self.plans()
        upcoming = next(plans, None)
        while upcoming is not None or buckets:
            day = min(buckets) if buckets else upcoming.events[0][0] // clock.DAY  # type: ignore[union-attr]
            if upcoming is not None:
                day = min(day, upcoming.events[0][0] // clock.DAY)
            while upcoming is not None and upcoming.events[0][0] // clock.DAY <= day:
                if on_case is not None:
                    on_case(upcoming)
                for at, event in upcoming.events:
                    bucket = buckets.get(at // clock.DAY)
                    if bucket is None:
                        bucket = buckets[at // clock.DAY] = []
                    bucket.append((at, sequence, event))
                    sequence += 1
                upcoming = next(plans, None)
            released = buckets.pop(day, [])
            released.sort()
            for at, _, event in released:
                yield at, event

    def verdicts(self) -> list[Verdict]:
        """The ground truth of every case, in arrival order."""
        return [plan.verdict for plan in self.plans()]
