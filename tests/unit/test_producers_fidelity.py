"""The fidelity table: every figure the simulator claims, measured from its own stream, within tolerance.

Why broker-free: the claims are about streams of the demo's size, 10,000 cases, and generating one
in-process (``producers.runner.generate``, the generator of ``sigma simulate``) takes seconds. The records
are decoded as a consumer decodes them; the broker test (tests/integration/test_producers_simulate.py)
checks that the table ``sigma simulate`` prints is the one measured from the topics read back.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cache

import pytest

from producers.fidelity import Claim, Figure, claims, markdown, table
from producers.fidelity_doc import BLOCK, DEMO_CASES, DEMO_PROFILE, DEMO_SEED, PAGE
from producers.measure import StreamMeasure, Tallies, measure
from producers.profile import load_profile, profile_from_mapping
from producers.runner import SimulationRun, generate, measured
from schemas.codec import Deserializer
from schemas.context import SerializationContext
from tests.profiles import every_kind

CASES = 10_000
SEEDS = (2018, 1, 2)


@cache
def in_run(profile: str, seed: int) -> Tallies:
    """What ``sigma simulate --cases 10000`` measures while it encodes (its generator, no broker)."""
    return measured(SimulationRun(cases=CASES, seed=seed, profile=load_profile(profile), topic_prefix="",
                                  case_key_secret=b"fidelity"))


def failing(tallies: Tallies, profile: str) -> list[str]:
    return [f"{f.claim.group}: {f.claim.figure}: {f.to_json()['shown']}" for f in table(tallies, load_profile(profile))
            if not f.holds]


@pytest.mark.parametrize("seed", SEEDS)
def test_every_figure_of_the_demo_profile_holds_on_10000_cases(seed: int) -> None:
    tallies = in_run("inspectie-2018", seed)
    assert failing(tallies, "inspectie-2018") == []
    # not vacuous: every population is large and nothing went uncounted
    figures = table(tallies, load_profile("inspectie-2018"))
    assert len(figures) == len(claims(load_profile("inspectie-2018"))) > 20
    assert all(f.of > 300 for f in figures if f.claim.kind == "share")
    assert tallies["closed"] == CASES and "incomplete" not in tallies


def test_pooled_over_the_seeds_every_figure_holds_to_a_tighter_tolerance() -> None:
    """Tallies add up: three runs are one of 30,000 cases, whose tolerances are √3 times narrower, so a
    figure that is off by construction (not by chance) shows here even when one run cannot tell."""
    pooled = sum((Counter(in_run("inspectie-2018", seed)) for seed in SEEDS), Counter())
    assert failing(dict(pooled), "inspectie-2018") == []
    insufficient = next(f for f in table(dict(pooled), load_profile("inspectie-2018"))
                        if f.claim.figure == "cancelled for insufficient preparation")
    assert insufficient.tolerance is not None and insufficient.tolerance < 0.007


def test_the_ideal_profile_claims_no_defects_and_every_notice_on_time() -> None:
    tallies = in_run("ideal", 2018)
    assert failing(tallies, "ideal") == []
    by_figure = {f.claim.figure: f for f in table(tallies, load_profile("ideal"))}
    assert by_figure["checked cases with any defect"].measured == 0.0
    assert by_figure["checked bookings notified 48 h before departure"].measured == 1.0
    assert by_figure["checked cases with any defect"].of > 1500


def test_measured_from_the_decoded_records_in_a_consumers_order_as_in_the_run() -> None:
    """The records decoded topic after topic (a case's closure read before its flights) measure the same as
    the generator measured them while encoding."""
    run = SimulationRun(cases=2000, seed=5, profile=load_profile("inspectie-2018"), topic_prefix="p.",
                        case_key_secret=b"fidelity")
    tally = StreamMeasure()
    records = [out for batch in generate(run, None, tally) for _, out in batch]
    decode = Deserializer()
    events = [decode(r.value, SerializationContext(r.topic, r.headers)) for r in sorted(records, key=lambda r: r.topic)]
    assert measure(events) == tally.tallies()
    assert tally.tallies()["checked"] > 300


def test_the_issues_measurements_of_the_old_calibration_do_not_hold() -> None:
    """The figures issue 22 measured on the demo before the fix: 35.0% of 3,327 bookings not carried out,
    12.0% cancelled for a new legal procedure; the table says so."""
    by_figure = {c.figure: c for c in claims(load_profile("inspectie-2018"))}
    assert not Figure(by_figure["not carried out (all bookings)"], 1165, 3327).holds
    assert not Figure(by_figure["cancelled for a new legal procedure"], 399, 3327).holds
    assert Figure(by_figure["cancelled for a new legal procedure"], 466, 3327).holds  # 14.0%


def test_the_tolerance_is_the_seeds_precision_or_three_standard_errors() -> None:
    share = Claim("g", "f", 0.43, "s", "n", "of", allowance=0.04)
    assert Figure(share, 1, 100).tolerance == pytest.approx(3 * math.sqrt(0.43 * 0.57 / 100))
    assert Figure(share, 1000, 10_000).tolerance == 0.04
    assert Figure(share, 3900, 10_000).holds and not Figure(share, 3800, 10_000).holds
    rate = Claim("g", "f", 17_670, "s", "n", "of", kind="rate")
    assert Figure(rate, 17_670, 1.0).tolerance == pytest.approx(3 * math.sqrt(17_670))
    empty = Figure(share, 0, 0)
    assert (empty.measured, empty.tolerance, empty.holds) == (None, None, None)
    assert empty.to_json()["shown"]["measured"] == "no data"


def test_a_profile_with_different_rates_per_partner_claims_the_band_between_them() -> None:
    profile = profile_from_mapping({"name": "split", "rates": {"coa": {"belongings": {"missing": 0.3}},
                                                               "dji": {"belongings": {"missing": 0.5}}}},
                                   source="test")
    belongings = next(c for c in claims(profile) if c.figure == "checked cases with belongings defective")
    assert belongings.seed == pytest.approx(0.4) and belongings.allowance == pytest.approx(0.1)
    anything = next(c for c in claims(every_kind()) if c.figure == "checked cases with any defect")
    assert anything.seed == pytest.approx(1 - 0.4 ** 10)


def test_docs_show_the_demos_table_as_measured_today() -> None:
    block = BLOCK.search(PAGE.read_text(encoding="utf-8"))
    assert block is not None, "docs/simulation.md has no fidelity table"
    assert DEMO_CASES == CASES and DEMO_SEED in SEEDS
    expected = markdown(table(in_run(DEMO_PROFILE, DEMO_SEED), load_profile(DEMO_PROFILE)))
    assert block[2] == expected, "run `make docs` (python -m producers.fidelity_doc)"
