"""The simulator's calibration, proved on its own stream: every figure it claims, measured from the events.

Why: chain analysts trust a simulated stream only as far as it reproduces what is known about the real
chain. Each row of the fidelity table is one figure the simulator claims — the seed value and its source
(a seed document, the simulator's own model where no seed gives one, or the defect profile) — next to the
value measured from the emitted stream (:mod:`producers.measure`, decoded events) and a tolerance.

The tolerance is the seed's own precision (the seeds' 39-47% band for failed bookings, half a point for a
rounded percentage, none for a count or a share the simulator draws) or three standard errors of the
measurement on this many cases, whichever is larger: a 200-case run is not expected to show 22.0% to the
point, and one run of 10,000 cannot tell 4% from 5% of 3,800 bookings for sure; the tallies of several
runs add up, and their table can (tests/unit/test_producers_fidelity.py pools three seeds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from producers.calibration import (
    DETAINED_IF_BOOKED,
    DETAINED_OTHERWISE,
    FORCED_TRACK,
    NEW_CASES_PER_YEAR,
    OUTCOMES,
    PASSPORT,
    PRIOR_FAILURES,
)
from producers.clock import DAY
from producers.injection import RESPONSIBLE
from producers.measure import Tallies
from producers.profile import Profile
from schemas.categories import BASELINE_2018, Category
from schemas.events import CancellationReason, CaseOutcome

YEAR = 365 * DAY
MODEL = "simulator's model, no seed figure"
DTENV = "DTenV 2023 (seed 003)"
INSPECTIE_BOOKINGS = "Inspectie JenV: 39% of booked seats in 2015, 47% of planned removals in 2017 (seeds 001, 004)"
INSPECTIE_2017 = "Inspectie JenV 2017 (seeds 001, 002)"
ROUNDED = 0.005
"""The precision of a seed given in whole percents."""


@dataclass(frozen=True)
class Claim:
    """One figure the simulator claims: ``count / of`` of the tallies should be ``seed``."""

    group: str
    figure: str
    seed: float
    source: str
    count: str
    of: str
    allowance: float = 0.0
    """The seed's own precision; the tolerance is never below it."""
    kind: Literal["share", "rate"] = "share"
    """A share of a population (binomial error) or a rate per unit of ``of`` (Poisson error)."""
    scale: float = 1.0
    """``of`` in the rate's unit: the tallies count seconds, a rate is per year."""


@dataclass(frozen=True)
class Figure:
    """A claim and what the stream shows."""

    claim: Claim
    count: int
    of: float

    @property
    def measured(self) -> float | None:
        return self.count / self.of if self.of > 0 else None

    @property
    def tolerance(self) -> float | None:
        """The allowance, or three standard errors at this sample size when that is wider."""
        if self.of <= 0:
            return None
        p = self.claim.seed
        variance = p * (1 - p) if self.claim.kind == "share" else p
        return max(self.claim.allowance, 3 * math.sqrt(variance / self.of))

    @property
    def holds(self) -> bool | None:
        """Within tolerance; None when the stream has nothing to measure it on."""
        measured, tolerance = self.measured, self.tolerance
        if measured is None or tolerance is None:
            return None
        return abs(measured - self.claim.seed) <= tolerance + 1e-12

    def to_json(self) -> dict[str, Any]:
        """One row of the ``fidelity`` table in ``--summary-json``: numbers, and as shown."""
        claim, measured, tolerance = self.claim, self.measured, self.tolerance
        return {
            "group": claim.group, "figure": claim.figure, "source": claim.source, "kind": claim.kind,
            "seed": round(claim.seed, 6),
            "measured": None if measured is None else round(measured, 6),
            "count": self.count, "of": int(self.of) if float(self.of).is_integer() else round(self.of, 6),
            "tolerance": None if tolerance is None else round(tolerance, 6),
            "holds": self.holds,
            "shown": {"seed": _show(claim, claim.seed), "measured": _show(claim, measured),
                      "tolerance": "" if tolerance is None else "±" + _show(claim, tolerance, difference=True)},
        }


def _show(claim: Claim, value: float | None, *, difference: bool = False) -> str:
    """A value as the table shows it: a share in percent (a difference of shares in points)."""
    if value is None:
        return "no data"
    if claim.kind == "share":
        return f"{value * 100:.1f} pt" if difference else f"{value * 100:.1f}%"
    return f"{value:,.0f}" if claim.seed >= 100 else f"{value:.3f}"


def claims(profile: Profile) -> list[Claim]:
    """Every figure the simulator claims under ``profile``, with its source."""
    return [*_process(), *_defects(profile)]


def _process() -> list[Claim]:
    """The figures of the chain's process, the same under every profile."""
    out = [Claim("outcome", o.value.replace("_", " "), OUTCOMES.share(o), f"{DTENV}: closed procedures",
                 f"closed.{o.value}", "closed") for o in CaseOutcome]
    out += [Claim("forced track", f"of {o.value.replace('_', ' ')}", FORCED_TRACK[o], MODEL,
                  f"forced.{o.value}", f"closed.{o.value}") for o in CaseOutcome]
    out += [
        Claim("bookings", "flights booked per closed procedure", 5920 / 15390,
              f"{DTENV}: 5,920 flights booked, 15,390 procedures closed", "bookings", "closed",
              kind="rate"),
        Claim("bookings", "not carried out (all bookings)", 0.43, INSPECTIE_BOOKINGS, "bookings.cancelled",
              "bookings", allowance=0.04),
        Claim("bookings", "not carried out (removals: forced track)", 0.43, INSPECTIE_BOOKINGS,
              "removals.cancelled", "removals", allowance=0.04),
        Claim("bookings", "cancelled for a new legal procedure", 0.14, INSPECTIE_2017,
              f"bookings.cancelled.{CancellationReason.NEW_LEGAL_PROCEDURE.value}", "bookings", allowance=ROUNDED),
        Claim("bookings", "cancelled for insufficient preparation", 0.05, INSPECTIE_2017,
              f"bookings.cancelled.{CancellationReason.INSUFFICIENT_PREPARATION.value}", "bookings",
              allowance=ROUNDED),
        Claim("bookings", "forced departures rebooked after failed attempts", 1 - PRIOR_FAILURES.share(0), MODEL,
              "rebooked", f"closed.{CaseOutcome.FORCED_DEPARTURE.value}"),
        Claim("detention", "of forced departures", DETAINED_IF_BOOKED[CaseOutcome.FORCED_DEPARTURE], MODEL,
              "detained.forced_departure", f"closed.{CaseOutcome.FORCED_DEPARTURE.value}"),
        Claim("detention", "of forced-track outflow with a booking",
              DETAINED_IF_BOOKED[CaseOutcome.OUTFLOW_WITHOUT_DEPARTURE], MODEL,
              "detained.booked_outflow", "booked_outflow"),
        Claim("detention", "of other forced-track cases ending without departure", DETAINED_OTHERWISE, MODEL,
              "detained.other_forced", "other_forced"),
        Claim("detention", "detentions ending in departure", 0.65,
              "ACVZ: almost two thirds of detentions 2015-2019 (seed 000)",
              "detentions_ended.departed", "detentions_ended", allowance=0.02),
        Claim("documents", "cases with a passport", PASSPORT, MODEL, "passport", "closed"),
        Claim("intake", "new cases a year", NEW_CASES_PER_YEAR, DTENV, "intake.gaps", "intake.seconds",
              kind="rate", scale=1 / YEAR),
    ]
    return out


def _defects(profile: Profile) -> list[Claim]:
    """The notice and the Inspectorate's defect rates among checked cases, as the profile deals them.

    A category's rate is the profile's for its responsible partner; where partners differ (belongings: COA
    or DJI), the claim is the middle of their rates and the allowance spans both.
    """
    bands = {c: _band(profile, c) for c in Category}
    any_low = 1 - math.prod(1 - low for low, _ in bands.values())
    any_high = 1 - math.prod(1 - high for _, high in bands.values())
    source = f"profile {profile.name}" + (f": {profile.source}" if profile.source else "")
    low, high = bands[Category.NOTIFICATION]
    out = [Claim("notice", "checked bookings notified 48 h before departure", 1 - (low + high) / 2,
                 f"DT&V must notify 48 h before (seed 001), less the notification defects of profile {profile.name}",
                 "checked.notified_in_time", "checked", allowance=(high - low) / 2),
           Claim("defects", "checked cases with any defect", (any_low + any_high) / 2, source,
                 "checked.defective", "checked", allowance=(any_high - any_low) / 2)]
    for category in (Category(name) for name in BASELINE_2018 if name != "defect_rate"):
        low, high = bands[category]
        out.append(Claim("defects", f"checked cases with {category.value.replace('_', ' ')} defective",
                         (low + high) / 2, source, f"checked.{category.value}", "checked",
                         allowance=(high - low) / 2))
    return out


def _band(profile: Profile, category: Category) -> tuple[float, float]:
    rates = [sum(profile.kinds_for(partner, category).values()) for partner in RESPONSIBLE[category]]
    return min(rates), max(rates)


def table(tallies: Tallies, profile: Profile) -> list[Figure]:
    """The fidelity table of a stream with these tallies, simulated under ``profile``."""
    return [Figure(c, tallies.get(c.count, 0), tallies.get(c.of, 0) * c.scale) for c in claims(profile)]


def markdown(figures: list[Figure]) -> str:
    """The table as Markdown (docs/simulation.md shows the demo's)."""
    lines = ["| group | figure | seed | source | measured | n | tolerance | holds |",
             "|---|---|---|---|---|---|---|---|"]
    for f in figures:
        row = f.to_json()
        shown = row["shown"]
        n = f"{f.count:,} of {f.of:,.0f}" if f.claim.kind == "share" else f"{f.count:,}"
        lines.append(f"| {row['group']} | {row['figure']} | {shown['seed']} | {row['source']} | {shown['measured']} "
                     f"| {n} | {shown['tolerance']} | {_verdict(row['holds'])} |")
    return "\n".join(lines) + "\n"


def _verdict(holds: bool | None) -> str:
    return {True: "yes", False: "NO", None: "no data"}[holds]
