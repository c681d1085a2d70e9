"""Each draft's own keywords, read by the draft the schema names (or ``--default-draft``), and verdicts by
the sets of accepted documents rather than by keyword text.

Every counter-example is re-checked here with the validator of the draft the schema is written in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compat import drafts
from compat.compare import compare
from compat.load import parse
from compat.model import CompatInputError, Result
from tests.clirunner import sigma

URI = {name: drafts.uri(name) for name in drafts.NAMES}


def run(old: Any, new: Any, level: str = "BACKWARD", draft: str = drafts.DEFAULT) -> Result:
    result = compare(parse(json.dumps(old), "old.json", "jsonschema", draft=draft),
                     parse(json.dumps(new), "new.json", "jsonschema", draft=draft), level)
    for v in result.violations:  # every shown counter-example holds under each schema's own draft
        if v.verified:
            writer, reader = (old, new) if v.direction == "backward" else (new, old)
            assert drafts.validator(drafts.with_draft(writer, draft)).is_valid(v.counterexample), v
            assert not drafts.validator(drafts.with_draft(reader, draft)).is_valid(v.counterexample), v
    return result


def rules(result: Result) -> list[str]:
    return sorted(v.rule for v in result.violations)


def in_draft(name: str, doc: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": URI[name], **doc}


def test_draft_comes_from_schema_then_default() -> None:
    assert drafts.of({"$schema": "http://json-schema.org/draft-04/schema#"}) == "draft-04"
    assert drafts.of({"$schema": "http://json-schema.org/draft-06/schema"}) == "draft-06"
    assert drafts.of({"$schema": "https://json-schema.org/draft/2019-09/schema"}) == "2019-09"
    assert drafts.of({}) == "draft-07" and drafts.of({}, "2020-12") == "2020-12"
    assert [drafts.parse_name(t) for t in ("4", "draft6", "draft-07", "2019-09", "draft2020-12")] == list(drafts.NAMES)
    with pytest.raises(CompatInputError, match="unknown JSON Schema draft '9'"):
        drafts.parse_name("9")
    schema = parse('{"type": "string"}', "s.json", "jsonschema")
    assert schema.document["$schema"] == URI["draft-07"]
    assert parse('{"type": "string"}', "s.json", "jsonschema", draft="2020-12").digest != schema.digest


# draft-07 and earlier: tuple items with additionalItems, dependencies, definitions, $ref replaces its object.
TUPLE: dict[str, Any] = {"type": "array", "items": [{"type": "string"}, {"type": "integer"}], "additionalItems": False}


@pytest.mark.parametrize("draft", ["draft-04", "draft-06", "draft-07", "2019-09"])
def test_tuple_items_and_additional_items(draft: str) -> None:
    old = in_draft(draft, TUPLE)
    narrowed = in_draft(draft, {**TUPLE, "items": [{"type": "string"}, {"type": "string"}]})
    result = run(old, narrowed)
    assert rules(result) == ["JSON-TYPE-NARROWED"] and result.violations[0].path == "$.items[1].type"
    assert not isinstance(result.violations[0].counterexample[1], str)
    grown = in_draft(draft, {**TUPLE, "items": [*TUPLE["items"], {"type": "null"}]})
    assert run(old, grown).compatible
    assert rules(run(old, grown, "FORWARD")) == ["JSON-ITEMS-OPENED"]
    opened = in_draft(draft, {**TUPLE, "additionalItems": {"type": "boolean"}})
    assert run(old, opened).compatible and rules(run(old, opened, "FORWARD")) == ["JSON-ITEMS-OPENED"]


def test_prefix_items_is_2020_12_and_ignored_before() -> None:
    prefixed = {"type": "array", "prefixItems": [{"type": "string"}], "items": False}
    narrowed = {"type": "array", "prefixItems": [{"type": "integer"}], "items": False}
    assert rules(run(in_draft("2020-12", prefixed), in_draft("2020-12", narrowed))) == ["JSON-TYPE-NARROWED"]
    assert rules(run(in_draft("2020-12", prefixed), in_draft("2020-12", {**prefixed, "additionalItems": False}))) \
        == []  # additionalItems is no 2020-12 keyword
    # In 2019-09, prefixItems is an unknown keyword: only `items: false` counts, so both accept only [].
    assert run(in_draft("2019-09", prefixed), in_draft("2019-09", narrowed), "FULL").compatible


def test_tuple_migrates_from_draft_07_to_2020_12_unchanged() -> None:
    old = in_draft("draft-07", TUPLE)
    new = in_draft("2020-12", {"type": "array", "prefixItems": TUPLE["items"], "items": False})
    assert run(old, new, "FULL").compatible
    loose = in_draft("2020-12", {"type": "array", "prefixItems": TUPLE["items"]})
    assert rules(run(old, loose, "FORWARD")) == ["JSON-ITEMS-OPENED"]


def test_items_array_is_invalid_in_2020_12_and_fine_by_default() -> None:
    text = json.dumps(TUPLE)
    assert parse(text, "t.json").document["items"] == TUPLE["items"]
    with pytest.raises(CompatInputError, match=r"not a valid JSON Schema at \$\.items \(2020-12: .*--default-draft"):
        parse(text, "t.json", draft="2020-12")


@pytest.mark.parametrize(("draft", "keyword", "value"), [
    ("draft-04", "dependencies", ["b"]), ("draft-07", "dependencies", ["b"]),
    ("2019-09", "dependentRequired", ["b"]), ("2020-12", "dependentRequired", ["b"]),
    ("draft-07", "dependencies", {"required": ["b"]}), ("2020-12", "dependentSchemas", {"required": ["b"]}),
])
def test_dependencies_by_draft(draft: str, keyword: str, value: Any) -> None:
    base = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}
    old, new = in_draft(draft, base), in_draft(draft, {**base, keyword: {"a": value}})
    added = run(old, new)
    assert rules(added) == ["JSON-DEPENDENCY-ADDED"], added.violations
    doc = added.violations[0].counterexample
    assert "a" in doc and "b" not in doc
    assert run(new, old).compatible  # dropping a dependency accepts more
    assert rules(run(new, old, "FORWARD")) == ["JSON-DEPENDENCY-REMOVED"]
    assert run(in_draft(draft, {**base, "required": ["b"]}), new).compatible  # b is always there anyway
    closed = {**base, "properties": {"a": {"not": {}}, "b": {"type": "string"}}}  # draft-04 has no `false`
    assert run(in_draft(draft, closed), in_draft(draft, {**closed, keyword: {"a": value}})).compatible


@pytest.mark.parametrize(("draft", "keyword"), [("draft-07", "dependentRequired"), ("2020-12", "dependencies"),
                                                ("2019-09", "dependencies")])
def test_dependency_keyword_of_another_draft_is_ignored(draft: str, keyword: str) -> None:
    base = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert run(in_draft(draft, base), in_draft(draft, {**base, keyword: {"a": ["b"]}}), "FULL").compatible


@pytest.mark.parametrize("draft", ["draft-04", "draft-06", "draft-07"])
def test_ref_replaces_its_object_up_to_draft_07(draft: str) -> None:
    defs = {"definitions": {"s": {"type": "string"}}}
    old = in_draft(draft, {**defs, "type": "object", "properties": {"p": {"$ref": "#/definitions/s"}}})
    new = in_draft(draft, {**defs, "type": "object", "properties": {"p": {"$ref": "#/definitions/s", "maxLength": 2}}})
    assert run(old, new, "FULL").compatible  # the sibling is ignored, as the draft's validator ignores it


@pytest.mark.parametrize("draft", ["2019-09", "2020-12"])
def test_ref_siblings_apply_from_2019_09(draft: str) -> None:
    defs = {"$defs": {"s": {"type": "string"}}}
    old = in_draft(draft, {**defs, "type": "object", "properties": {"p": {"$ref": "#/$defs/s"}}})
    new = in_draft(draft, {**defs, "type": "object", "properties": {"p": {"$ref": "#/$defs/s", "maxLength": 2}}})
    result = run(old, new)
    assert rules(result) == ["JSON-BOUND-TIGHTENED"] and len(result.violations[0].counterexample["p"]) > 2


def test_definitions_changes_are_found_through_ref() -> None:
    old = in_draft("draft-07", {"definitions": {"k": {"enum": ["a", "b"]}}, "type": "object",
                                "properties": {"k": {"$ref": "#/definitions/k"}}})
    new = json.loads(json.dumps(old))
    new["definitions"]["k"]["enum"] = ["a"]
    (v,) = run(old, new).violations
    assert v.rule == "JSON-ENUM-NARROWED" and v.path == "$.definitions.k.enum" and v.counterexample == {"k": "b"}


def test_draft_04_bounds_and_missing_keywords() -> None:
    exclusive = in_draft("draft-04", {"type": "number", "minimum": 1, "exclusiveMinimum": True})
    inclusive = in_draft("draft-04", {"type": "number", "minimum": 1})
    assert run(exclusive, inclusive).compatible
    (v,) = run(exclusive, inclusive, "FORWARD").violations
    assert v.rule == "JSON-BOUND-LOOSENED" and v.counterexample == 1
    # const, if/then and propertyNames are no draft-04 keywords: adding them changes nothing there ...
    text = in_draft("draft-04", {"type": "string"})
    for extra in ({"const": "x"}, {"if": {"const": "y"}, "then": False}):
        assert run(text, {**text, **extra}, "FULL").compatible
    # ... but const does from draft-06 on.
    constant = in_draft("draft-06", {"type": "string", "const": "x"})
    assert rules(run(in_draft("draft-06", {"type": "string"}), constant)) == ["JSON-ENUM-NARROWED"]


def test_if_then_else_is_no_draft_06_keyword() -> None:
    guarded = {"type": "string", "if": {"const": "y"}, "then": False}
    assert run(in_draft("draft-06", {"type": "string"}), in_draft("draft-06", guarded)).compatible
    found = run(in_draft("draft-07", {"type": "string"}), in_draft("draft-07", guarded)).violations
    assert {v.rule for v in found} == {"JSON-KEYWORD-CHANGED"} and {v.counterexample for v in found} == {"y"}


def test_boolean_schemas_and_draft_04_refusal() -> None:
    obj = {"type": "object", "properties": {"a": True}}
    assert rules(run(obj, {"type": "object", "properties": {"a": False}})) == ["JSON-SCHEMA-CLOSED"]
    with pytest.raises(CompatInputError, match="draft-04"):
        parse(json.dumps(in_draft("draft-04", obj)), "b.json")
    with pytest.raises(CompatInputError, match="draft-04 has no boolean schemas"):
        parse("true", "t.json", "jsonschema", draft="draft-04")
    assert run(True, {"not": {}}, "FORWARD").compatible and rules(run(True, {"not": {}})) == ["JSON-SCHEMA-CLOSED"]


# Set-based judgements: the text changes, the accepted documents do not shrink.

def test_not_of_a_type_replaced_by_not_of_a_narrower_type() -> None:
    old = {"not": {"type": ["string", "number"]}}
    new = {"not": {"type": "string"}}
    assert run(old, new).compatible
    (v,) = run(new, old).violations
    assert v.rule == "JSON-NOT-NARROWED" and isinstance(v.counterexample, int | float)
    assert rules(run(old, new, "FORWARD")) == ["JSON-NOT-WIDENED"]


def test_not_disjoint_from_the_writer_rejects_nothing() -> None:
    assert run({"type": "integer"}, {"type": "integer", "not": {"type": "string"}}).compatible
    assert run({"enum": ["a", "b"]}, {"not": {"const": "c"}}).compatible
    # Bounds are not compared inside `not`: this compatible change is undecided (said so), not called a break.
    assert rules(run({"type": "integer", "minimum": 5}, {"not": {"type": "integer", "maximum": 4}})) == [
        "JSON-UNDECIDED"]
    (v,) = run({"type": "string"}, {"not": {"const": "x"}}).violations
    assert v.rule == "JSON-NOT-NARROWED" and v.counterexample == "x"


def test_removing_a_false_property_from_a_closed_object() -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}, "x": False}, "additionalProperties": False}
    new = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    assert run(old, new, "FULL").compatible
    unsatisfiable = {**old, "properties": {"a": {"type": "string"}, "x": {"type": "string", "minLength": 3,
                                                                        "maxLength": 1}}}
    assert run(unsatisfiable, new).compatible


def test_combinator_over_an_unsatisfiable_set() -> None:
    old = {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 5, "maximum": 1}, {"allOf": [
        {"type": "string"}, {"type": "null"}]}]}
    assert run(old, {"type": "string"}).compatible
    assert run({"allOf": [{"type": "string"}, {"type": "integer"}]}, {"type": "null"}).compatible
    assert run({"type": "object", "required": ["a"], "properties": {"a": {"enum": []}}}, False).compatible
    assert rules(run({"type": "string"}, {"anyOf": [{"type": "integer"}, {"not": {}}]})) == [
        "JSON-COMBINATOR-NARROWED"]


def test_a_true_branch_keeps_the_keywords_beside_its_combinator() -> None:
    """``anyOf: [true]`` next to ``required`` still requires: the new schema rejects ``{"a": {}}`` (found by the
    property-based check: the true branch used to stand for the whole node)."""
    old = {"type": "object", "properties": {"a": {"anyOf": [True]}}, "required": ["a"]}
    new = {"type": "object", "properties": {"a": {"anyOf": [True], "required": ["a"]}}, "required": ["a"]}
    assert not run(old, new).compatible
    assert run(new, old).compatible


def test_type_list_fits_an_any_of_of_its_types() -> None:
    old = {"type": ["string", "null"], "maxLength": 3}
    assert run(old, {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]}, "BACKWARD").compatible
    (v,) = run(old, {"anyOf": [{"type": "string", "maxLength": 2}, {"type": "null"}]}).violations
    assert v.rule == "JSON-BOUND-TIGHTENED" and v.counterexample == "aaa"


def test_one_of_must_match_once() -> None:
    old = {"type": "integer"}
    new = {"oneOf": [{"type": "number"}, {"type": "integer"}]}
    (v,) = run(old, new).violations
    assert v.rule == "JSON-ONE-OF-AMBIGUOUS" and isinstance(v.counterexample, int)
    tagged = {"oneOf": [
        {"type": "object", "properties": {"kind": {"const": "a"}, "x": {"type": "string"}}, "required": ["kind"],
         "additionalProperties": False},
        {"type": "object", "properties": {"kind": {"const": "b"}}, "required": ["kind"]}]}
    grown = json.loads(json.dumps(tagged))
    grown["oneOf"][0]["properties"]["y"] = {"type": "string"}
    assert run(tagged, grown).compatible  # the discriminating const keeps the branches apart
    grown["oneOf"][0]["properties"]["x"] = {"type": "integer"}
    (v,) = run(tagged, grown).violations  # found inside the one branch that shares values with the old one
    assert v.rule == "JSON-TYPE-NARROWED" and v.counterexample["kind"] == "a" and isinstance(v.counterexample["x"], str)


def test_default_draft_on_the_command_line(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(TUPLE))
    new.write_text(json.dumps({**TUPLE, "additionalItems": True}))
    forward = sigma("schemas", "compat", str(old), str(new), "--level", "FORWARD")
    assert forward.returncode == 1 and "JSON-ITEMS-OPENED" in forward.stdout
    assert sigma("schemas", "compat", str(old), str(new), "--default-draft", "draft-04").returncode == 0
    refused = sigma("schemas", "compat", str(old), str(new), "--default-draft", "2020-12")
    assert refused.returncode == 2 and refused.stderr.startswith("sigma: error: ") and "2020-12" in refused.stderr
    unknown = sigma("schemas", "compat", str(old), str(new), "--default-draft", "draft-5")
    assert unknown.returncode == 2 and "unknown JSON Schema draft 'draft-5'" in unknown.stderr


def test_default_draft_in_the_catalogue_check(tmp_path: Path) -> None:
    """``schemas check`` reads schemas without $schema in the default draft too: draft-07 tuples are checked
    as tuples, and refused as invalid 2020-12 (exit 2, one line) when that is the default."""
    root, released = tmp_path / "tree", tmp_path / "released"
    for version, schema in ((1, TUPLE), (2, {**TUPLE, "items": [{"type": "string"}, {"type": "string"}]})):
        path = root / f"schemas/jsonschema/bags/v{version}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=2) + "\n")
    (released / "schemas/jsonschema/bags").mkdir(parents=True)  # v1 released, v2 new
    (released / "schemas/jsonschema/bags/v1.json").write_text((root / "schemas/jsonschema/bags/v1.json").read_text())
    args = ("schemas", "check", "--against", str(released), "--root", str(root), "--no-models", "--format", "json")
    broken = sigma(*args)
    assert broken.returncode == 1, broken.stderr
    (violation,) = json.loads(broken.stdout)["violations"]
    assert violation["rule"] == "JSON-TYPE-NARROWED" and violation["path"] == "$.items[1].type"
    refused = sigma(*args, "--default-draft", "2020-12")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "not a valid JSON Schema at $.items (2020-12" in refused.stderr
