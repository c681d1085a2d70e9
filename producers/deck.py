"""Calibrated defect draws: shuffled decks instead of coin flips, so rates hold on modest samples.

Why: with independent coin flips, 2,000 checked cases put a 45% rate within ±2 points only about 93% of
the time, and the "at least one defect" share wanders as much. A deck of 1,000 cards holds each
(category, kind) exactly ``round(rate × 1000)`` times, and its categories overlap the way independent
draws would on average — each category's cards go to already-defective cards in proportion to their
share — so per-category rates and the share with at least one defect are exact per 1,000 checked cases
and close on any prefix. Cards are dealt in order and the deck is rebuilt (reshuffled) when used up.

One deck per *responsibility signature* (which partner answers for each category in this case, e.g.
DJI or COA for belongings, as :func:`producers.injection.responsible` says), since rates are set per
partner. The deck deals what the profile gives those partners; it knows nothing of the truth's rules.
"""

from __future__ import annotations

import random

from producers.injection import Card
from producers.profile import Profile
from schemas.categories import Category
from schemas.events import Partner

DECK_SIZE = 1000

Signature = tuple[tuple[Category, Partner], ...]


class DefectDeck:
    """Deals each checked case the defects it gets, per the profile."""

    def __init__(self, profile: Profile, rng: random.Random, size: int = DECK_SIZE) -> None:
        self._profile = profile
        self._rng = rng
        self._size = size
        self._decks: dict[Signature, tuple[list[Card], list[int]]] = {}

    def deal(self, responsible: dict[Category, Partner]) -> Card:
        """The defects of the next checked case whose categories fall to these partners."""
        signature = tuple(sorted(responsible.items()))
        cards, cursor = self._decks.get(signature) or self._new(signature)
        if cursor[0] == len(cards):
            cards, cursor = self._new(signature)
        card = cards[cursor[0]]
        cursor[0] += 1
        return card

    def _new(self, signature: Signature) -> tuple[list[Card], list[int]]:
        entry = (build_deck(self._profile, dict(signature), self._rng, self._size), [0])
        self._decks[signature] = entry
        return entry


def build_deck(profile: Profile, responsible: dict[Category, Partner], rng: random.Random, size: int) -> list[Card]:
    """``size`` cards; category by category, defects go to already-defective cards in proportion."""
    cards: list[Card] = [{} for _ in range(size)]
    defective: list[int] = []
    clean: list[int] = list(range(size))
    for category in Category:
        partner = responsible.get(category)
        if partner is None:
            continue
        kinds = [kind for kind, rate in profile.kinds_for(partner, category).items()
                 for _ in range(round(rate * size))][:size]
        if not kinds:
            continue
        count = len(kinds)
        overlap = min(round(count * len(defective) / size), len(defective))
        overlap = max(overlap, count - len(clean))
        newly = rng.sample(clean, count - overlap)
        chosen = rng.sample(defective, overlap) + newly
        rng.shuffle(kinds)
        for index, kind in zip(chosen, kinds, strict=True):
            cards[index][category] = kind
        fresh = set(newly)
        defective.extend(newly)
        clean = [i for i in clean if i not in fresh]
    return cards
