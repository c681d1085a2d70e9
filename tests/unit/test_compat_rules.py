"""Every rule id with a failing and a passing schema pair, at the level that checks it.

The table must cover ``compat.rules.RULES`` (catalogue rules are covered by the git-ref tests), so a
new rule without a test fails here. Every counter-example shown is re-verified with ``jsonschema``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from compat import drafts
from compat.compare import compare
from compat.load import Schema, parse
from compat.model import Result
from compat.rules import RULES

DROP = object()


def edit(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``base`` with ``a__b__c=value`` set (or removed with ``DROP``)."""
    doc = copy.deepcopy(base)
    for dotted, value in changes.items():
        keys = dotted.split("__")
        node = doc
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        last: Any = int(keys[-1]) if isinstance(node, list) else keys[-1]
        if value is DROP:
            del node[last]
        else:
            node[last] = value
    return doc


def validator(doc: Any) -> Any:
    """The validator of the draft the checker reads ``doc`` in (draft-07 when it names none)."""
    return drafts.validator(drafts.with_draft(doc, drafts.DEFAULT))


def schema(doc: Any, name: str) -> Schema:
    return parse(json.dumps(doc, indent=2) + "\n", name)


def run(old: Any, new: Any, level: str, ext: str) -> Result:
    return compare(schema(old, f"old.{ext}"), schema(new, f"new.{ext}"), level)


J: dict[str, Any] = {
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
CLOSED = edit(J, additionalProperties=False)
PATTERNED = edit(J, properties__name__pattern="^[a-z]+$")

JSON_CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    # rule, level, old, breaking new, compatible new
    ("JSON-TYPE-NARROWED", "BACKWARD", J, edit(J, properties__count__type="string"),
     edit(J, properties__count__type=["integer", "null"])),
    ("JSON-ENUM-NARROWED", "BACKWARD", J, edit(J, properties__kind__enum=["a"]),
     edit(J, properties__kind__enum=["a", "b", "c"])),
    ("JSON-BOUND-TIGHTENED", "BACKWARD", J, edit(J, properties__count__maximum=5),
     edit(J, properties__count__maximum=20)),
    ("JSON-PATTERN-ADDED", "BACKWARD", J, edit(J, properties__name__pattern="^[A-Z]{3}$"),
     edit(J, properties__name__minLength=0)),
    ("JSON-PATTERN-CHANGED", "BACKWARD", PATTERNED, edit(J, properties__name__pattern="^[0-9]+$"),
     edit(PATTERNED, properties__name__description="lower-case name")),
    ("JSON-REQUIRED-ADDED", "BACKWARD", J, edit(J, required=["name", "count"]), edit(J, required=[])),
    ("JSON-ADDITIONAL-CLOSED", "BACKWARD", J, CLOSED, edit(J, additionalProperties=True)),
    ("JSON-PROPERTY-REMOVED-CLOSED", "BACKWARD", CLOSED, edit(CLOSED, properties__tags=DROP),
     edit(J, properties__tags=DROP)),
    ("JSON-PROPERTY-ADDED-OPEN-MODEL", "BACKWARD", J, edit(J, properties__extra={"type": "integer"}),
     edit(J, properties__extra={"description": "anything"})),
    ("JSON-ITEMS-CLOSED", "BACKWARD", J, edit(J, properties__tags__items=False),
     edit(J, properties__tags__items={})),
    ("JSON-UNIQUE-ITEMS-ADDED", "BACKWARD", J, edit(J, properties__tags__uniqueItems=True),
     edit(J, properties__tags__uniqueItems=False)),
    ("JSON-SCHEMA-CLOSED", "BACKWARD", J, edit(J, properties__kind=False), edit(J, properties__kind=True)),
    ("JSON-COMBINATOR-NARROWED", "BACKWARD", J,
     edit(J, properties__when={"anyOf": [{"type": "integer"}, {"type": "null"}]}),
     edit(J, properties__when={"anyOf": [{"type": "string"}, {"type": "null"}, {"type": "integer"}]})),
    ("JSON-KEYWORD-CHANGED", "BACKWARD", J, edit(J, properties__tags__contains={"const": "x"}),
     edit(J, properties__name__description="a name")),
    ("JSON-NOT-NARROWED", "BACKWARD", J, edit(J, properties__name__not={"const": "x"}),
     edit(J, properties__count__not={"type": "string"})),
    ("JSON-DEPENDENCY-ADDED", "BACKWARD", J, edit(J, dependencies={"count": ["kind"]}),
     edit(J, dependencies={"count": ["name"]})),
    ("JSON-ONE-OF-AMBIGUOUS", "BACKWARD", J,
     edit(J, properties__when={"oneOf": [{"type": "string"}, {"type": "null"}, {"type": ["string", "integer"]}]}),
     edit(J, properties__when={"oneOf": [{"type": "string"}, {"type": "null"}]})),
    ("JSON-UNDECIDED", "BACKWARD", PATTERNED, edit(J, properties__name__pattern="^[a-z0-9]+$"),
     edit(PATTERNED, properties__name__description="lower-case name")),
    ("JSON-TYPE-WIDENED", "FORWARD", J, edit(J, properties__count__type=["integer", "string"]),
     edit(J, properties__count__type="integer", properties__count__maximum=5)),
    ("JSON-ENUM-WIDENED", "FORWARD", J, edit(J, properties__kind__enum=["a", "b", "c"]),
     edit(J, properties__kind__enum=["a"])),
    ("JSON-BOUND-LOOSENED", "FORWARD", J, edit(J, properties__count__maximum=20),
     edit(J, properties__count__maximum=5)),
    ("JSON-PATTERN-REMOVED", "FORWARD", PATTERNED, J, edit(PATTERNED, properties__name__maxLength=9)),
    ("JSON-REQUIRED-REMOVED", "FORWARD", J, edit(J, required=[]), edit(J, required=["name", "count"])),
    ("JSON-ADDITIONAL-OPENED", "FORWARD", CLOSED, J, edit(CLOSED, description="closed")),
    ("JSON-PROPERTY-ADDED-CLOSED", "FORWARD", CLOSED, edit(CLOSED, properties__extra={"type": "string"}),
     edit(CLOSED, properties__tags=DROP)),
    ("JSON-PROPERTY-REMOVED-OPEN-MODEL", "FORWARD", J, edit(J, properties__count=DROP),
     edit(J, properties__count__maximum=3)),
    ("JSON-ITEMS-OPENED", "FORWARD", edit(J, properties__tags__items=False), J,
     edit(J, properties__tags__items=False, properties__tags__maxItems=0)),
    ("JSON-UNIQUE-ITEMS-REMOVED", "FORWARD", edit(J, properties__tags__uniqueItems=True), J,
     edit(J, properties__tags__uniqueItems=True, properties__tags__maxItems=3)),
    ("JSON-SCHEMA-OPENED", "FORWARD", edit(J, properties__kind=False), J, edit(J, properties__kind=False)),
    ("JSON-NOT-WIDENED", "FORWARD", edit(J, properties__name__not={"const": "x"}), J,
     edit(J, properties__name__not={"enum": ["x", "y"]})),
    ("JSON-DEPENDENCY-REMOVED", "FORWARD", edit(J, dependencies={"count": ["kind"]}), J,
     edit(J, dependencies={"count": ["kind", "name"]})),
    ("JSON-COMBINATOR-WIDENED", "FORWARD", J,
     edit(J, properties__when={"anyOf": [{"type": "string"}, {"type": "null"}, {"type": "integer"}]}),
     edit(J, properties__when={"anyOf": [{"type": "string"}]})),
]


def record(*fields: dict[str, Any], name: str = "R", **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "t", "fields": list(fields), **extra}


FIELDS: list[dict[str, Any]] = [
    {"name": "a", "type": "string"},
    {"name": "n", "type": "int"},
    {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y"]}},
    {"name": "u", "type": ["null", "string"], "default": None},
    {"name": "f", "type": {"type": "fixed", "name": "F", "size": 4}},
]
A = record(*FIELDS)


def field(index: int, **changes: Any) -> dict[str, Any]:
    """A with field ``index`` changed (``type=…`` etc.)."""
    return edit(A, **{f"fields__{index}__{k}": v for k, v in changes.items()})


AVRO_CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ("AVRO-FIELD-ADDED-NO-DEFAULT", "BACKWARD", A, record(*FIELDS, {"name": "b", "type": "int"}),
     record(*FIELDS, {"name": "b", "type": "int", "default": 0})),
    ("AVRO-TYPE-CHANGED", "BACKWARD", A, field(1, type="string"), field(1, type="long")),
    ("AVRO-ENUM-SYMBOL-REMOVED", "BACKWARD", A, field(2, type={"type": "enum", "name": "E", "symbols": ["X"]}),
     field(2, type={"type": "enum", "name": "E", "symbols": ["X", "Y", "Z"]})),
    ("AVRO-UNION-BRANCH-REMOVED", "BACKWARD", A, field(3, type=["null", "int"]),
     field(3, type=["null", "string", "int"])),
    ("AVRO-NAME-MISMATCH", "BACKWARD", A, record(*FIELDS, name="Other"),
     record(*FIELDS, name="Other", aliases=["t.R"])),
    ("AVRO-FIXED-SIZE-CHANGED", "BACKWARD", A, field(4, type={"type": "fixed", "name": "F", "size": 8}),
     field(4, type={"type": "fixed", "name": "F", "size": 4, "doc": "four bytes"})),
    ("AVRO-DEFAULT-TYPE-MISMATCH", "BACKWARD", A, record(*FIELDS, {"name": "b", "type": "int", "default": "zero"}),
     record(*FIELDS, {"name": "b", "type": "int", "default": 0})),
    ("AVRO-UNION-DEFAULT-NOT-FIRST", "BACKWARD", A,
     record(*FIELDS, {"name": "b", "type": ["null", "int"], "default": 1}),
     record(*FIELDS, {"name": "b", "type": ["int", "null"], "default": 1})),
    ("AVRO-FIELD-REMOVED-NO-DEFAULT", "FORWARD", A, edit(A, fields__1=DROP), edit(A, fields__3=DROP)),
    ("AVRO-ENUM-SYMBOL-ADDED", "FORWARD", A, field(2, type={"type": "enum", "name": "E", "symbols": ["X", "Y", "Z"]}),
     field(2, type={"type": "enum", "name": "E", "symbols": ["X"]})),
    ("AVRO-UNION-BRANCH-ADDED", "FORWARD", A, field(3, type=["null", "string", "int"]),
     field(3, doc="optional text")),
]

CASES = [(*case, "json") for case in JSON_CASES] + [(*case, "avsc") for case in AVRO_CASES]
IDS = [case[0] for case in CASES]


def test_every_rule_has_a_case() -> None:
    covered = set(IDS)
    catalogue = {rule for rule in RULES if rule.startswith("CATALOGUE-")}
    assert set(RULES) - catalogue == covered
    git_tests = (Path(__file__).parents[1] / "integration" / "test_compat_git.py").read_text()
    assert all(rule in git_tests for rule in catalogue)


def check_counterexamples(result: Result, old: Any, new: Any) -> None:
    """Every counter-example shown is valid for the writer and rejected by the reader (re-checked here)."""
    for v in result.violations:
        if not v.verified:
            continue
        writer, reader = (old, new) if v.direction == "backward" else (new, old)
        assert validator(writer).is_valid(v.counterexample), v
        assert not validator(reader).is_valid(v.counterexample), v


@pytest.mark.parametrize(("rule", "level", "old", "bad", "good", "ext"), CASES, ids=IDS)
def test_rule_fails_the_breaking_change(rule: str, level: str, old: Any, bad: Any, good: Any, ext: str) -> None:
    result = run(old, bad, level, ext)
    assert not result.compatible
    hits = [v for v in result.violations if v.rule == rule]
    assert hits, [v.rule for v in result.violations]
    for v in hits:
        assert v.path.startswith("$") and v.file == f"new.{ext}" and v.line >= 1
        assert v.message and v.fix == RULES[rule].fix
    if ext == "json":
        check_counterexamples(result, old, bad)
        if rule != "JSON-UNDECIDED":  # every incompatible verdict carries its proof
            assert all(v.verified for v in hits), f"{rule}: no verified counter-example"


@pytest.mark.parametrize(("rule", "level", "old", "bad", "good", "ext"), CASES, ids=IDS)
def test_rule_passes_the_compatible_change(rule: str, level: str, old: Any, bad: Any, good: Any, ext: str) -> None:
    result = run(old, good, level, ext)
    assert result.violations == (), [(v.rule, v.message) for v in result.violations]
    assert result.compatible


def test_every_violation_is_reported_not_only_the_first() -> None:
    bad = edit(J, required=["name", "count"], additionalProperties=False, properties__kind__enum=["a"],
               properties__count__maximum=5)
    result = run(J, bad, "BACKWARD", "json")
    assert sorted(v.rule for v in result.violations) == [
        "JSON-ADDITIONAL-CLOSED", "JSON-BOUND-TIGHTENED", "JSON-ENUM-NARROWED", "JSON-REQUIRED-ADDED"]
    check_counterexamples(result, J, bad)
    avro = record({"name": "a", "type": "int"}, *FIELDS[1:2],
                  {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X"]}}, *FIELDS[3:],
                  {"name": "b", "type": "string"})
    rules = sorted(v.rule for v in run(A, avro, "BACKWARD", "avsc").violations)
    assert rules == ["AVRO-ENUM-SYMBOL-REMOVED", "AVRO-FIELD-ADDED-NO-DEFAULT", "AVRO-TYPE-CHANGED"]


def test_docs_compat_md_lists_every_rule_from_the_table() -> None:
    from pathlib import Path

    from compat.rules import markdown_table

    text = (Path(__file__).parents[2] / "docs" / "compat.md").read_text()
    block = text.split("-->\n", 1)[1] if "<!-- rules:begin" in text else ""
    assert markdown_table() in block, "run `make docs` to regenerate the rules table in docs/compat.md"
