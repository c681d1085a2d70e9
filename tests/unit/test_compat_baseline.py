"""Intentional breaks: accepted with a reason until the expiry date, failing again from that date on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from compat import baseline
from compat.model import CompatInputError, Result, Violation

V = Violation("JSON-REQUIRED-ADDED", "$.required", "property 'kg' became required", subject="belongings")
ENTRY = ('[[accepted]]\nrule = "JSON-REQUIRED-ADDED"\nsubject = "belongings"\npath = "$.req*"\n'
         'reason = "all partners upgrade together (CH-1)"\nexpires = 2027-01-31\n')


def load(tmp_path: Path, text: str) -> list[baseline.Entry]:
    path = tmp_path / "baseline.toml"
    path.write_text(text)
    return baseline.load(path)


def test_accepted_until_the_day_before_expiry(tmp_path: Path) -> None:
    entries = load(tmp_path, ENTRY)
    (accepted,), notes = baseline.apply([V], entries, date(2027, 1, 30))
    assert accepted.accepted == "all partners upgrade together (CH-1) (accepted until 2027-01-31)"
    assert Result((accepted,)).compatible and notes == []
    (expired,), _ = baseline.apply([V], entries, date(2027, 1, 31))
    assert not expired.accepted and not Result((expired,)).compatible
    assert expired.expired == "baseline entry expired on 2027-01-31: all partners upgrade together (CH-1)"
    assert "[baseline entry expired on 2027-01-31]" in expired.message


def test_entries_match_rule_subject_and_path(tmp_path: Path) -> None:
    entries = load(tmp_path, ENTRY)
    others = [V.at(subject="fit_to_fly"), V.at(rule="JSON-ENUM-NARROWED"), V.at(path="$.properties.kg")]
    marked, notes = baseline.apply(others, entries, date(2027, 1, 1))
    assert [v.accepted for v in marked] == ["", "", ""]
    assert notes == ["baseline entry JSON-REQUIRED-ADDED for belongings at $.req* matched no violation: remove it"]


@pytest.mark.parametrize(("text", "message"), [
    ('[[accepted]]\nrule = "JSON-REQUIRED-ADDED"\nsubject = "x"\n', "entry 1 lacks reason, expires"),
    (ENTRY.replace("JSON-REQUIRED-ADDED", "JSON-MADE-UP"), "unknown rule 'JSON-MADE-UP'"),
    (ENTRY.replace("2027-01-31", '"soon"'), "expires 'soon' is not a date"),
    (ENTRY.replace('"all partners upgrade together (CH-1)"', '" "'), "the reason is empty"),
    ("accepted = 3\n", "must be an array of tables"),
    ("[[accepted]\n", "not valid TOML"),
])
def test_bad_baseline_is_an_input_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CompatInputError, match=message):
        load(tmp_path, text)


def test_missing_file_is_an_empty_baseline_and_the_shipped_one_loads(tmp_path: Path) -> None:
    assert baseline.load(tmp_path / "absent.toml") == []
    baseline.load(Path(__file__).resolve().parents[2] / "schemas/compat-baseline.toml")
