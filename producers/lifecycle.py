"""One case from handover to closure: planned, dealt its defects, closed, turned into events, judged.

Why three random streams (lifecycle, defects, ids): the planner (:mod:`producers.planning`) draws only from
the first and the injector (:mod:`producers.injection`) only from the second, so one seed gives the same
cases under every profile and only the defects differ; event ids come from the third. The truth is not what
was dealt: the events as emitted are judged by :mod:`producers.rules`, so the truth file always describes
the stream, and a stream decoded back from Kafka judges the same.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from producers.deck import DefectDeck
from producers.drafts import CaseDrafts
from producers.injection import Card, Injector
from producers.planning import Planner
from producers.profile import Profile
from producers.rules import Verdict, judge
from schemas.events import ChainEvent


@dataclass
class CasePlan:
    """A planned case: its events in recorded order, what the deck dealt, and its ground truth."""

    case_key: str
    events: list[tuple[int, ChainEvent]]
    """(recorded_at in simulated seconds, event), in recorded order."""
    dealt: Card
    verdict: Verdict


class Lifecycle:
    """Plans cases one after another from a seed and a defect profile."""

    def __init__(self, seed: int, profile: Profile, case_key: Callable[[str], str]) -> None:
        self._planner = Planner(random.Random(seed), case_key)
        self._ids = random.Random(f"{seed}:ids")
        defects = random.Random(f"{seed}:defects")
        self._injector = Injector(DefectDeck(profile, defects).deal, defects)

    def plan(self, start: int) -> CasePlan:
        """Plan one case whose handover is recorded at ``start``; returns its events and ground truth."""
        case = self._planner.plan(start)
        dealt = self._injector.inject(case)
        self._planner.close(case)
        return self._finish(case, dealt)

    def _finish(self, c: CaseDrafts, dealt: Card) -> CasePlan:
        drafts = sorted(c.drafts, key=lambda d: d.at)
        ids = self._ids.getrandbits
        events = [(d.at, d.build(_uuid4(ids(128)), c.key)) for d in drafts]
        return CasePlan(c.key, events, dealt, judge(c.key, (e for _, e in events)))


def _uuid4(bits: int) -> str:
    """A version-4 UUID string from 128 random bits (cheaper than building a uuid.UUID)."""
    bits = (bits & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
