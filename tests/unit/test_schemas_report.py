"""The report's JSON Schema holds the report ``build_report`` writes, and nothing it does not describe."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema_rs
import pytest

from schemas import layout
from schemas.categories import Category
from schemas.findings import RULE_ID_PATTERN
from tests.published import check_report
from validator.engine import Counters
from validator.report.model import build_report
from validator.rules import RULES, Finding, Verdict

SCHEMA = json.loads((layout.REPO_ROOT / layout.REPORT_SCHEMA).read_text(encoding="utf-8"))
VALIDATOR = jsonschema_rs.validator_for(SCHEMA, validate_formats=True)


def _report() -> dict[str, Any]:
    departure = datetime(2024, 3, 6, 9, 30, tzinfo=UTC)
    verdicts = [Verdict("ck_" + "a" * 24, departure, departure - timedelta(hours=48),
                        (Finding("BEL-001", "belongings", "coa", "missing"), Finding("MED-001", "medical", "medical",
                                                                                     "late"))),
                Verdict("ck_" + "b" * 24, departure, departure - timedelta(hours=48), ())]
    return build_report(verdicts, Counters(12, 9, 1, 2), checkpoint_hours=48.0,
                        dead_letters={"key-mismatch": 1, "header-key-not-utf8": 1},
                        unknown_cases={"cases": 1, "events": 3}, late_deliveries={"coa": 2, "dji": 1})


def test_a_built_report_is_valid() -> None:
    report = check_report(_report())
    assert report["cases_defective"] == 1 and report["dead_letters"]


def _set(report: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(report)
    *parents, last = path.split(".")
    node = changed
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[last] = value
    return changed


@pytest.mark.parametrize(("path", "value"), [
    ("surprise", 1),  # a field the schema does not describe, at the top
    ("records.skipped", 0),  # ... or inside an object
    ("cases.0.defects.0.severity", "major"),
    ("over_time.0.median", 1),
    ("rules.BOGUS", 0.1),  # a key of the wrong form
    ("categories.weather", 0.1),
    ("partners.airline", 0.1),
    ("dead_letters.Not A Code", 1),
    ("late_deliveries", {"coa": -1}),
    ("late_deliveries", {"airline": 1}),
    ("defect_rate", 1.5),
    ("cases.0.checkpoint", "yesterday"),
    ("cases.0.defects.0.kind", "strange"),
])
def test_what_the_schema_does_not_describe_is_invalid(path: str, value: Any) -> None:
    assert not VALIDATOR.is_valid(_set(_report(), path, value)), path


def test_the_simulation_is_described() -> None:
    report = _report()
    row = {"group": "process", "figure": "forced cases", "source": "seed", "kind": "share", "seed": 0.5,
           "measured": None, "count": 0, "of": 0, "tolerance": None, "holds": None,
           "shown": {"seed": "50.0%", "measured": "no data", "tolerance": ""}}
    VALIDATOR.validate({**report, "simulation": {"about": "10 cases, seed 1, profile ideal", "fidelity": [row]}})
    assert not VALIDATOR.is_valid({**report, "simulation": None})  # absent when not simulated, never null


def test_every_rule_and_category_the_report_names_fits_the_schema() -> None:
    assert all(re.fullmatch(RULE_ID_PATTERN, rule.id) for rule in RULES)
    assert set(SCHEMA["$defs"]["Category"]["enum"]) == {c.value for c in Category}
    assert SCHEMA["required"] == list(_report())  # every field the report always has, in its order
    assert set(SCHEMA["properties"]) == set(_report()) | {"simulation"}
