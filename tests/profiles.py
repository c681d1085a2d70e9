"""Defect profiles built for tests, beside the built-in ones in producers/profiles/."""

from __future__ import annotations

from producers.injection import KINDS, RESPONSIBLE
from producers.profile import Profile, profile_from_mapping


def every_kind(rate: float = 0.6) -> Profile:
    """Every (partner, category, kind) the simulator can inject, ``rate`` per category split over its kinds.

    Why: the built-in profiles leave kinds out (inspectie-2018 has no removability defect at all), and an
    injection or a rule that no profile exercises is untested.
    """
    rates: dict[str, dict[str, dict[str, float]]] = {}
    for category, kinds in KINDS.items():
        for partner in RESPONSIBLE[category]:
            rates.setdefault(partner.value, {})[category.value] = {k.value: rate / len(kinds) for k in kinds}
    return profile_from_mapping({"name": "every-kind", "rates": rates}, source="tests/profiles.py")
