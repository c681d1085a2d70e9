"""Counts behind the report pages, from the report data's case list.

Why counted here and not taken from the rates in the report data: the pages show how many cases stand
behind each share, and a rate rounded to four places cannot give that back. The report data keeps every
checked case with its defects, so counting them again is exact and keeps the JSON report as it is.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tallies:
    """Checked cases with a defect, per category, rule, partner, and partner and category together."""

    categories: Counter[str]
    kinds: Counter[tuple[str, str]]
    """Per (category, kind)."""
    rules: Counter[str]
    partners: Counter[str]
    """Cases with at least one defect attributed to the partner."""
    matrix: Counter[tuple[str, str]]
    """Per (partner, category): cases whose defect in the category is attributed to the partner."""


def tally(report: dict[str, Any]) -> Tallies:
    """Count the report data's checked cases."""
    categories: Counter[str] = Counter()
    kinds: Counter[tuple[str, str]] = Counter()
    rules: Counter[str] = Counter()
    partners: Counter[str] = Counter()
    matrix: Counter[tuple[str, str]] = Counter()
    for case in report["cases"]:
        defects = case["defects"]
        for d in defects:  # at most one defect per category: each case counts once per category
            categories[d["category"]] += 1
            kinds[d["category"], d["kind"]] += 1
            rules[d["rule"]] += 1
            matrix[d["partner"], d["category"]] += 1
        partners.update({d["partner"] for d in defects})
    return Tallies(categories, kinds, rules, partners, matrix)
