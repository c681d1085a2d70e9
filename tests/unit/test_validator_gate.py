"""The limits a pipeline sets on a run (``validator.gate``): what "exceeds" means, and the line that says so."""

from __future__ import annotations

from typing import Any

import pytest

from bench.streams import chain_records
from validator.engine import Engine
from validator.gate import Limits, exceeded, share
from validator.report.model import build_report


def _report(checked: int, defective: int, dead_lettered: int = 0) -> dict[str, Any]:
    """The fields of a report that the limits read (``validator.report.model.build_report`` writes them)."""
    return {"cases_checked": checked, "cases_defective": defective, "records": {"dead_lettered": dead_lettered}}


@pytest.mark.parametrize(("text", "value"), [("0.5", 0.5), ("50%", 0.5), ("70 %", 0.7), (" 0 ", 0.0), ("1", 1.0),
                                             ("100%", 1.0), ("0%", 0.0), ("66.2%", 0.662), (".25", 0.25)])
def test_a_share_is_a_fraction_or_a_percentage(text: str, value: float) -> None:
    assert share(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["1.5", "-0.1", "150%", "-5%", "nan", "inf", "abc", "", "%", "0.5%%", "50 percent"])
def test_anything_else_is_refused_saying_what_to_write(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a share between 0 and 1 or a percentage: write e\.g\. 0\.5 or 50%"):
        share(text)


def test_the_defect_rate_limit_names_the_rate_the_limit_and_the_points_between() -> None:
    [passed] = exceeded(_report(1000, 662), Limits(defect_rate=0.5))
    assert passed.message == ("defect rate 66.2% (662 of 1000 checked cases) exceeds --fail-on-defect-rate 50.0% "
                              "by 16.2 points")
    assert "sigma dossier" in passed.fix


def test_a_limit_is_exceeded_only_when_passed() -> None:
    assert exceeded(_report(4, 2, dead_lettered=3), Limits(defect_rate=0.5, dead_letters=3)) == []
    assert exceeded(_report(4, 0, dead_lettered=0), Limits(defect_rate=0.0, dead_letters=0)) == []
    [rate] = exceeded(_report(4, 1), Limits(defect_rate=0.0))
    assert rate.message == "defect rate 25.0% (1 of 4 checked cases) exceeds --fail-on-defect-rate 0.0% by 25.0 points"
    [letters] = exceeded(_report(4, 0, dead_lettered=1), Limits(dead_letters=0))
    assert letters.message == "1 dead letters exceed --fail-on-dead-letters 0 by 1"


def test_no_limit_given_passes_everything_and_no_case_checked_is_no_defect_rate() -> None:
    assert exceeded(_report(10, 10, dead_lettered=99), Limits()) == []
    assert exceeded(_report(0, 0), Limits(defect_rate=0.0)) == []


def test_both_limits_passed_are_both_said_defect_rate_first() -> None:
    passed = exceeded(_report(3, 2, dead_lettered=12), Limits(defect_rate=0.5, dead_letters=5))
    assert [p.message for p in passed] == [
        "defect rate 66.7% (2 of 3 checked cases) exceeds --fail-on-defect-rate 50.0% by 16.7 points",
        "12 dead letters exceed --fail-on-dead-letters 5 by 7"]
    assert "sigma dlq list" in passed[1].fix and "sigma conformance" in passed[1].fix


def test_the_exact_rate_is_compared_and_shown_with_the_decimals_that_tell_it_from_the_limit() -> None:
    """2000 of 3001 is 66.64445 %: above a limit of 66.644 %, which it equals to three decimals (and the report's
    ``defect_rate``, rounded to four decimals of the share, to all of them)."""
    [passed] = exceeded(_report(3001, 2000), Limits(defect_rate=0.66644))
    assert passed.message == ("defect rate 66.6445% (2000 of 3001 checked cases) exceeds --fail-on-defect-rate "
                              "66.6440% by 0.0005 points")
    assert exceeded(_report(3001, 2000), Limits(defect_rate=2000 / 3001)) == []


def test_the_limits_read_the_report_the_validator_builds() -> None:
    engine = Engine()
    salted = chain_records(200)
    salted.append(salted[0]._replace(value=b"not avro"))
    engine.feed(salted)
    report = build_report(engine.verdicts(), engine.state.counters, checkpoint_hours=48.0,
                          dead_letters=engine.rejection_summary())
    checked, defective = report["cases_checked"], report["cases_defective"]
    assert 0 < defective < checked and report["records"]["dead_lettered"] == 1
    assert exceeded(report, Limits(defect_rate=defective / checked, dead_letters=1)) == []
    passed = exceeded(report, Limits(defect_rate=(defective - 1) / checked, dead_letters=0))
    assert [p.message.split(" exceed")[0] for p in passed] == [
        f"defect rate {100 * defective / checked:.1f}% ({defective} of {checked} checked cases)", "1 dead letters"]
