"""Avro: every finding keeps its own path and line, the verdict agrees with the avro package's checker,
and the default checks it lacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import avro.schema
import pytest
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from compat import avro_rules
from compat.compare import compare
from compat.load import parse


def rec(*fields: dict[str, Any], name: str = "R") -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "t", "fields": list(fields)}


def test_two_incompatibilities_keep_their_own_path_line_and_message() -> None:
    """The avro checker's merged result cannot tell which message belongs where; ours can."""
    old = rec({"name": "a", "type": "int"},
              {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y"]}})
    new = rec({"name": "a", "type": "string"}, {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X"]}},
              {"name": "c", "type": "long"})
    text = json.dumps(new, indent=2)
    result = compare(parse(json.dumps(old, indent=2), "old.avsc"), parse(text, "new.avsc"), "BACKWARD")
    by_rule = {v.rule: v for v in result.violations}
    assert set(by_rule) == {"AVRO-TYPE-CHANGED", "AVRO-ENUM-SYMBOL-REMOVED", "AVRO-FIELD-ADDED-NO-DEFAULT"}
    lines = text.splitlines()
    assert by_rule["AVRO-TYPE-CHANGED"].path == "$.fields[0].type"
    assert "from int to string" in by_rule["AVRO-TYPE-CHANGED"].message
    assert lines[by_rule["AVRO-TYPE-CHANGED"].line - 1].strip() == '"type": "string"'
    assert by_rule["AVRO-ENUM-SYMBOL-REMOVED"].path == "$.fields[1].type.symbols"
    assert "lost symbol(s) Y" in by_rule["AVRO-ENUM-SYMBOL-REMOVED"].message
    assert lines[by_rule["AVRO-ENUM-SYMBOL-REMOVED"].line - 1].strip() == '"symbols": ['
    assert "'c'" in by_rule["AVRO-FIELD-ADDED-NO-DEFAULT"].message
    assert lines[by_rule["AVRO-FIELD-ADDED-NO-DEFAULT"].line - 1].strip() == "{"
    assert '"name": "c"' in lines[by_rule["AVRO-FIELD-ADDED-NO-DEFAULT"].line]


def test_nested_record_in_an_optional_union_reports_the_inner_change() -> None:
    inner = {"type": "record", "name": "Bag", "fields": [{"name": "kg", "type": "double"}]}
    grown = {"type": "record", "name": "Bag", "fields": [{"name": "kg", "type": "double"},
                                                         {"name": "tag", "type": "string"}]}
    old = rec({"name": "bag", "type": ["null", inner], "default": None})
    new = rec({"name": "bag", "type": ["null", grown], "default": None})
    (v,) = compare(parse(json.dumps(old), "o.avsc"), parse(json.dumps(new), "n.avsc"), "BACKWARD").violations
    assert v.rule == "AVRO-FIELD-ADDED-NO-DEFAULT" and v.path == "$.fields[0].type[1].fields[1]"
    assert "'tag' of t.Bag" in v.message


PAIRS: list[tuple[Any, Any]] = [
    ("int", "long"), ("long", "int"), ("float", "long"), ("string", "bytes"), ("bytes", "string"),
    (["null", "string"], "string"), ("string", ["null", "string"]), (["null", "int"], ["null", "long"]),
    (["null", "long"], ["null", "int"]), ({"type": "array", "items": "int"}, {"type": "array", "items": "long"}),
    ({"type": "map", "values": "long"}, {"type": "map", "values": "int"}),
    (rec({"name": "a", "type": "int"}), rec({"name": "a", "type": "int"}, {"name": "b", "type": "int"})),
    (rec({"name": "a", "type": "int"}, {"name": "b", "type": "int", "default": 1}), rec({"name": "a", "type": "int"})),
    (rec({"name": "a", "type": "int"}), rec({"name": "a", "type": "int"}, name="S")),
    ({"type": "enum", "name": "E", "symbols": ["A", "B"]}, {"type": "enum", "name": "E", "symbols": ["A"]}),
    ({"type": "enum", "name": "E", "symbols": ["A"]}, {"type": "enum", "name": "E", "symbols": ["A", "B"]}),
    ({"type": "enum", "name": "E", "symbols": ["A"], "default": "A"},
     {"type": "enum", "name": "E", "symbols": ["A", "B"]}),
    ({"type": "fixed", "name": "F", "size": 2}, {"type": "fixed", "name": "F", "size": 3}),
    (["null", "string", "int"], ["string", "null"]), (["string", "null"], ["null", "string", "int"]),
]


@pytest.mark.parametrize(("writer", "reader"), PAIRS)
def test_verdict_agrees_with_the_avro_checker(writer: Any, reader: Any) -> None:
    """Reuse where it is right: on these pairs the avro package's verdict is correct, and ours matches it."""
    r, w = avro.schema.parse(json.dumps(reader)), avro.schema.parse(json.dumps(writer))
    theirs = ReaderWriterCompatibilityChecker().get_compatibility(r, w).compatibility  # type: ignore[no-untyped-call]
    ours = avro_rules.resolution(json.dumps(reader), json.dumps(writer))
    assert (theirs is SchemaCompatibilityType.compatible) == (not ours), ours


@pytest.mark.parametrize(("field", "rule"), [
    ({"name": "b", "type": "int", "default": "zero"}, "AVRO-DEFAULT-TYPE-MISMATCH"),
    ({"name": "b", "type": "int", "default": 2**31}, "AVRO-DEFAULT-TYPE-MISMATCH"),
    ({"name": "b", "type": {"type": "array", "items": "int"}, "default": ["x"]}, "AVRO-DEFAULT-TYPE-MISMATCH"),
    ({"name": "b", "type": {"type": "enum", "name": "E", "symbols": ["A"]}, "default": "B"},
     "AVRO-DEFAULT-TYPE-MISMATCH"),
    ({"name": "b", "type": {"type": "fixed", "name": "F", "size": 2}, "default": "abc"},
     "AVRO-DEFAULT-TYPE-MISMATCH"),
    ({"name": "b", "type": {"type": "record", "name": "In", "fields": [{"name": "x", "type": "int"}]},
      "default": {}}, "AVRO-DEFAULT-TYPE-MISMATCH"),
    ({"name": "b", "type": ["null", "string"], "default": "x"}, "AVRO-UNION-DEFAULT-NOT-FIRST"),
    ({"name": "b", "type": ["null", "string"], "default": 5}, "AVRO-DEFAULT-TYPE-MISMATCH"),
])
def test_defaults_the_checker_misses(field: dict[str, Any], rule: str) -> None:
    schema = avro.schema.parse(json.dumps(rec({"name": "a", "type": "int"}, field)))
    assert ReaderWriterCompatibilityChecker().get_compatibility(  # type: ignore[no-untyped-call]
        schema, schema).compatibility is SchemaCompatibilityType.compatible, "the avro checker passes it"
    assert [p.rule for p in avro_rules.defaults(schema)] == [rule]


def test_valid_defaults_pass() -> None:
    fields: list[dict[str, Any]] = [
        {"name": "i", "type": "int", "default": 1}, {"name": "l", "type": "long", "default": 2**40},
        {"name": "d", "type": "double", "default": 1}, {"name": "s", "type": "string", "default": ""},
        {"name": "u", "type": ["null", "string"], "default": None},
        {"name": "v", "type": ["int", "null"], "default": 3},
        {"name": "a", "type": {"type": "array", "items": "string"}, "default": []},
        {"name": "m", "type": {"type": "map", "values": "int"}, "default": {"k": 1}},
        {"name": "t", "type": {"type": "long", "logicalType": "timestamp-micros"}, "default": 0},
        {"name": "r", "type": {"type": "record", "name": "In", "fields": [{"name": "x", "type": "int", "default": 0}]},
         "default": {}},
    ]
    assert avro_rules.defaults(avro.schema.parse(json.dumps(rec(*fields)))) == []


def test_the_released_catalogue_has_usable_defaults() -> None:
    paths = sorted((Path(__file__).resolve().parents[2] / "schemas/avro").glob("*/v*.avsc"))
    assert paths, "no released Avro schema found"
    for path in paths:
        assert avro_rules.defaults(avro_rules.parse_text(path.read_text())) == [], path
