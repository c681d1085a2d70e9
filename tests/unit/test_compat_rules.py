"""Each compatibility rule with a passing and a failing pair; every counter-example re-verified here."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from schemas.compat.compare import compare
from schemas.compat.levels import directions, transitive
from schemas.compat.model import CompatInputError

BASE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "count": {"type": "integer", "minimum": 0, "maximum": 10},
        "kind": {"enum": ["a", "b"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "when": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["name"],
}


def changed(**edits: Any) -> dict[str, Any]:
    schema = copy.deepcopy(BASE)
    for path, value in edits.items():
        node = schema
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return schema


JSON_CASES = [
    ("JSON-TYPE-NARROWED", changed(properties__count__type="string"),
     changed(properties__count__type=["integer", "null"])),
    ("JSON-REQUIRED-ADDED", changed(required=["name", "count"]), changed(required=[])),
    ("JSON-ENUM-NARROWED", changed(properties__kind__enum=["a"]), changed(properties__kind__enum=["a", "b", "c"])),
    ("JSON-BOUND-TIGHTENED", changed(properties__count__maximum=5), changed(properties__count__maximum=20)),
    ("JSON-PATTERN-ADDED", changed(properties__name__pattern="^[A-Z]{3}$"), changed(properties__name__minLength=0)),
    ("JSON-ADDITIONAL-CLOSED", changed(additionalProperties=False), changed(additionalProperties=True)),
    ("JSON-PROPERTY-ADDED-OPEN-MODEL", changed(properties__extra={"type": "integer"}),
     changed(properties__extra={})),
    ("JSON-ITEMS-CLOSED", changed(properties__tags__items=False), changed(properties__tags__items={})),
    ("JSON-COMBINATOR-NARROWED", changed(properties__when={"anyOf": [{"type": "integer"}, {"type": "null"}]}),
     changed(properties__when={"anyOf": [{"type": "string"}, {"type": "null"}, {"type": "integer"}]})),
]


@pytest.mark.parametrize(("rule", "breaking", "fine"), JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_json_rule_fails_the_breaking_change_and_passes_the_safe_one(rule: str, breaking: dict[str, Any],
                                                                     fine: dict[str, Any]) -> None:
    violations = compare(BASE, breaking, "jsonschema", "BACKWARD")
    assert rule in {v.rule for v in violations}
    for v in violations:
        assert v.verified, f"{v.rule} has no verified counter-example"
        assert Draft202012Validator(BASE).is_valid(v.counterexample)
        assert not Draft202012Validator(breaking).is_valid(v.counterexample)
    assert compare(BASE, fine, "jsonschema", "BACKWARD") == []


def test_every_violation_is_reported_not_only_the_first() -> None:
    both = changed(required=["name", "count"], additionalProperties=False)
    assert {v.rule for v in compare(BASE, both, "jsonschema", "BACKWARD")} == {
        "JSON-REQUIRED-ADDED", "JSON-ADDITIONAL-CLOSED"}


def record(*fields: dict[str, Any], name: str = "R") -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields)}


AVRO = record({"name": "a", "type": "string"}, {"name": "n", "type": "int"},
              {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y"]}})
AVRO_CASES = [
    ("AVRO-FIELD-ADDED-NO-DEFAULT", record(*AVRO["fields"], {"name": "b", "type": "int"}),
     record(*AVRO["fields"], {"name": "b", "type": "int", "default": 0})),
    ("AVRO-ENUM-SYMBOL-REMOVED", record(*AVRO["fields"][:2], {"name": "e", "type": {"type": "enum", "name": "E",
                                                                                  "symbols": ["X"]}}),
     record(*AVRO["fields"][:2], {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y", "Z"]}})),
    ("AVRO-TYPE-CHANGED", record(AVRO["fields"][0], {"name": "n", "type": "string"}, AVRO["fields"][2]),
     record(AVRO["fields"][0], {"name": "n", "type": "long"}, AVRO["fields"][2])),
    ("AVRO-NAME-MISMATCH", record(*AVRO["fields"], name="Other"), record(*AVRO["fields"])),
    ("AVRO-DEFAULT-TYPE-MISMATCH", record(*AVRO["fields"], {"name": "b", "type": "int", "default": "zero"}),
     record(*AVRO["fields"], {"name": "b", "type": "int", "default": 0})),
    ("AVRO-UNION-DEFAULT-NOT-FIRST", record(*AVRO["fields"], {"name": "b", "type": ["null", "int"], "default": 1}),
     record(*AVRO["fields"], {"name": "b", "type": ["null", "int"], "default": None})),
]


@pytest.mark.parametrize(("rule", "breaking", "fine"), AVRO_CASES, ids=[c[0] for c in AVRO_CASES])
def test_avro_rule_fails_the_breaking_change_and_passes_the_safe_one(rule: str, breaking: dict[str, Any],
                                                                     fine: dict[str, Any]) -> None:
    assert rule in {v.rule for v in compare(AVRO, breaking, "avro", "BACKWARD")}
    assert compare(AVRO, fine, "avro", "BACKWARD") == []


@pytest.mark.parametrize(("level", "fails"), [
    ("NONE", False), ("BACKWARD", True), ("BACKWARD_TRANSITIVE", True), ("FORWARD", False),
    ("FORWARD_TRANSITIVE", False), ("FULL", True), ("FULL_TRANSITIVE", True)])
def test_levels_pick_the_directions(level: str, fails: bool) -> None:
    added_required = changed(required=["name", "count"])
    assert bool(compare(BASE, added_required, "jsonschema", level)) is fails
    removed_required_fails = level.startswith(("FORWARD", "FULL"))
    assert bool(compare(added_required, BASE, "jsonschema", level)) is removed_required_fails
    assert transitive(level) is level.endswith("_TRANSITIVE")
    assert set(directions(level)) <= {"backward", "forward"}


def test_unknown_level_is_an_input_error() -> None:
    with pytest.raises(CompatInputError, match="unknown compatibility level 'SIDEWAYS'"):
        compare(BASE, BASE, "jsonschema", "SIDEWAYS")
