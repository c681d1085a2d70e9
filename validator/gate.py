"""Limits a pipeline sets on a validation run (``--fail-on-defect-rate``, ``--fail-on-dead-letters``), held
against its report. Pure: the command line decides the exit code and prints the line.

Why a module of its own: "exceeds" must mean the same thing in CI, in the README and in the tests, and the
numbers in the message must be the ones compared (the exact share of defective cases, not the report's
rounded ``defect_rate``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFECT_RATE_FLAG = "--fail-on-defect-rate"
DEAD_LETTERS_FLAG = "--fail-on-dead-letters"


@dataclass(frozen=True)
class Limits:
    """What a run may reach and still pass; None: no limit. A limit is exceeded only when strictly passed, so
    ``defect_rate=0`` fails on any defective case and ``dead_letters=0`` on any dead letter."""

    defect_rate: float | None = None
    """Share of checked cases with a defect, 0..1."""
    dead_letters: int | None = None
    """Records dead-lettered in the run (for a resumed online run: since its group's state began)."""

    def any(self) -> bool:
        return self.defect_rate is not None or self.dead_letters is not None


@dataclass(frozen=True)
class Exceeded:
    """One limit passed: what, by how much, and where to look."""

    message: str
    fix: str


def share(text: str) -> float:
    """A share of cases from a flag: ``0.5`` or ``50%``; ValueError (with what to write) for anything else."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw[:-1] if percent else raw)
    except ValueError:
        value = math.nan
    if percent:
        value /= 100
    if not 0 <= value <= 1:  # also refuses nan
        raise ValueError(f"{text!r} is not a share between 0 and 1 or a percentage: write e.g. 0.5 or 50%")
    return value


def exceeded(report: Mapping[str, Any], limits: Limits) -> list[Exceeded]:
    """Each limit the report passes, defect rate first; empty when the run is within its limits."""
    found = []
    checked, defective = int(report["cases_checked"]), int(report["cases_defective"])
    rate = defective / checked if checked else 0.0
    if limits.defect_rate is not None and rate > limits.defect_rate:
        shown, limit, points = _percentages(rate, limits.defect_rate)
        found.append(Exceeded(
            f"defect rate {shown} ({defective} of {checked} checked cases) exceeds {DEFECT_RATE_FLAG} {limit} "
            f"by {points} points",
            "the report lists the defective cases and the rules they broke (`sigma dossier CASE` shows one)"))
    letters = int(report["records"]["dead_lettered"])
    if limits.dead_letters is not None and letters > limits.dead_letters:
        found.append(Exceeded(
            f"{letters} dead letters exceed {DEAD_LETTERS_FLAG} {limits.dead_letters} by "
            f"{letters - limits.dead_letters}",
            "`sigma dlq list` (online) or `sigma conformance REC` (a recording) shows which records and why"))
    return found


def _percentages(rate: float, limit: float) -> tuple[str, str, str]:
    """Rate, limit and their difference in percent and points, with one decimal, or as many more (up to four)
    as it takes for the rate not to look equal to the limit it exceeds."""
    for digits in range(1, 5):
        shown, bound = f"{rate * 100:.{digits}f}", f"{limit * 100:.{digits}f}"
        if shown != bound:
            break
    return f"{shown}%", f"{bound}%", f"{(rate - limit) * 100:.{digits}f}"
