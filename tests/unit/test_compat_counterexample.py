"""Counter-examples: shown only when verified, and about the violation they are attached to."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from compat import counterexample, samples
from compat.compare import compare
from compat.finding import Probe
from compat.load import parse
from compat.model import Result

ROOT = Path(__file__).resolve().parents[2]


def run(old: Any, new: Any, level: str = "BACKWARD") -> Result:
    return compare(parse(json.dumps(old), "old.json"), parse(json.dumps(new), "new.json"), level)


def test_counterexample_isolates_its_own_violation() -> None:
    """With a new required property, ``{"k": "y"}`` is rejected by the new schema for the missing property
    too; the enum counter-example must carry the property so that only the enum rejects it."""
    old = {"type": "object", "properties": {"a": {"type": "integer"}, "k": {"enum": ["x", "y"]}}}
    new = {"type": "object", "properties": {"a": {"type": "integer"}, "k": {"enum": ["x"]}}, "required": ["a"]}
    by_rule = {v.rule: v for v in run(old, new).violations}
    enum = by_rule["JSON-ENUM-NARROWED"]
    assert enum.verified and enum.counterexample["k"] == "y" and "a" in enum.counterexample
    errors = list(Draft202012Validator(new).iter_errors(enum.counterexample))
    assert [list(e.absolute_path) for e in errors] == [["k"]]
    required = by_rule["JSON-REQUIRED-ADDED"]
    assert required.verified and "a" not in required.counterexample


def test_unverifiable_finding_is_undecided_fails_and_shows_no_document() -> None:
    """The new pattern accepts every string the old one did; the rules cannot prove that, find no
    counter-example, and say they cannot decide (a rule id of its own) — no document is shown as one."""
    old = {"type": "string", "pattern": "^a$"}
    new = {"type": "string", "pattern": "^[ab]$"}
    result = run(old, new)
    (v,) = result.violations
    assert v.rule == "JSON-UNDECIDED" and not result.compatible
    assert v.searched and not v.verified and v.counterexample is None
    assert "cannot decide" in v.message and "JSON-PATTERN-CHANGED" in v.message
    assert "counterexample" not in v.to_json() and v.to_json()["counterexample_verified"] is False


def test_find_refuses_a_document_rejected_elsewhere() -> None:
    old = {"type": "object", "properties": {"k": {"enum": ["x", "y"]}, "n": {"type": "integer"}}}
    new = {"type": "object", "properties": {"k": {"enum": ["x", "y"]}, "n": {"type": "integer"}},
           "required": ["n"]}
    probe = Probe(("k",), writer={"enum": ["x", "y"]}, reader={"enum": ["x", "y"]})
    assert counterexample.find(old, new, probe) == (False, None)


def test_recursive_schemas_terminate_and_report_once() -> None:
    tree = {"$defs": {"n": {"type": "object", "properties": {"c": {"type": "array", "items": {"$ref": "#/$defs/n"}}}}},
            "$ref": "#/$defs/n"}
    grown = json.loads(json.dumps(tree))
    grown["$defs"]["n"]["properties"]["v"] = {"type": "integer"}
    grown["$defs"]["n"]["required"] = ["v"]
    result = run(tree, grown)
    assert sorted(v.rule for v in result.violations) == ["JSON-PROPERTY-ADDED-OPEN-MODEL", "JSON-REQUIRED-ADDED"]
    assert all(v.verified for v in result.violations)
    assert run(tree, tree).violations == ()


def test_counterexamples_on_the_real_catalogue_shape() -> None:
    """A pydantic-style schema ($defs, $ref, anyOf with null, patterns): tightening every kind of keyword
    yields one verified counter-example per violation."""
    old = json.loads((ROOT / "schemas/jsonschema/fit_to_fly/v1.json").read_text())
    new = json.loads(json.dumps(old))
    new["properties"]["doctor_ref"]["maxLength"] = 8
    new["$defs"]["FlightCondition"]["enum"].remove("oxygen")
    new["properties"]["event_id"]["pattern"] = "^[0-9a-f]{8}$"
    new["required"].append("conditions")
    result = run(old, new)
    rules = sorted(v.rule for v in result.violations)
    assert rules == ["JSON-BOUND-TIGHTENED", "JSON-ENUM-NARROWED", "JSON-PATTERN-CHANGED", "JSON-REQUIRED-ADDED"]
    for v in result.violations:
        assert v.verified, v
        assert Draft202012Validator(old).is_valid(v.counterexample)
        assert not Draft202012Validator(new).is_valid(v.counterexample)


def test_pattern_strings_match_their_pattern() -> None:
    for pattern in ("^ck_[0-9a-f]{24}$", "^[A-Z]{3}-\\d{2,4}$", "(foo|bar)+baz?", "^[^a-z]+$", "^\\w+@\\w+\\.nl$"):
        found = samples.pattern_strings(pattern)
        assert found, pattern
        assert all(re.search(pattern, s) for s in found)
    assert all(len(s) >= 5 for s in samples.pattern_strings("[a-z]", min_length=5))


def test_example_is_valid_for_its_schema() -> None:
    for path in ("schemas/jsonschema/fit_to_fly/v1.json", "schemas/jsonschema/flight_booking/v1.json",
                 "schemas/jsonschema/belongings/v1.json"):
        doc = json.loads((ROOT / path).read_text())
        value = samples.example(doc, doc)
        assert Draft202012Validator(doc).is_valid(value), path
