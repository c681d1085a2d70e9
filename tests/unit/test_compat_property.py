"""Property-based check of the JSON Schema verdicts against an oracle the checker did not write.

Random draft-07 schemas (the default draft), and readers made from them by random edits (a keyword added,
dropped or changed, a subschema replaced) or drawn independently. Documents come from
hypothesis-jsonschema, which generates them from the writer's schema on its own terms:
- whenever the checker says 'compatible' (BACKWARD: reader = new), no generated document that the writer
  accepts is rejected by the reader;
- whenever it says 'incompatible', each violation but JSON-UNDECIDED carries a counter-example that the
  writer's validator accepts and the reader's rejects.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema.exceptions import SchemaError

from compat import drafts
from compat.compare import compare
from compat.load import parse

NAMES = ("a", "b", "c")
PATTERNS = ("^[a-c]*$", "^a", "b$", "^[0-9]+$")
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["", "a", "b", "ab", "1"]))

Schema = Any


def numbers() -> st.SearchStrategy[dict[str, Any]]:
    bounds = st.fixed_dictionaries({}, optional={
        "minimum": st.integers(-5, 5), "maximum": st.integers(-5, 5), "exclusiveMinimum": st.integers(-5, 5),
        "exclusiveMaximum": st.integers(-5, 5), "multipleOf": st.sampled_from([1, 2, 3, 0.5])})
    return st.builds(lambda kind, more: {"type": kind, **more}, st.sampled_from(["integer", "number"]), bounds)


def strings() -> st.SearchStrategy[dict[str, Any]]:
    more = st.fixed_dictionaries({}, optional={
        "minLength": st.integers(0, 3), "maxLength": st.integers(0, 4), "pattern": st.sampled_from(PATTERNS)})
    return st.builds(lambda extra: {"type": "string", **extra}, more)


def leaves() -> st.SearchStrategy[Schema]:
    return st.one_of(
        st.booleans(), st.just({}), numbers(), strings(),
        st.sampled_from([{"type": "null"}, {"type": "boolean"}, {"type": ["string", "null"]}]),
        st.builds(lambda v: {"const": v}, SCALARS),
        st.builds(lambda vs: {"enum": vs}, st.lists(SCALARS, min_size=1, max_size=3, unique_by=json.dumps)))


def extend(inner: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    properties = st.dictionaries(st.sampled_from(NAMES), inner, max_size=3)
    objects = st.builds(
        lambda props, required, extra, deps: {"type": "object", "properties": props, **extra,
                                              **({"required": required} if required else {}),
                                              **({"dependencies": deps} if deps else {})},
        properties, st.lists(st.sampled_from(NAMES), unique=True, max_size=2),
        st.fixed_dictionaries({}, optional={"additionalProperties": st.one_of(st.booleans(), inner)}),
        st.dictionaries(st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), unique=True, min_size=1,
                                                         max_size=2), max_size=1))
    arrays = st.builds(
        lambda items, extra: {"type": "array", "items": items, **extra},
        st.one_of(inner, st.lists(inner, min_size=1, max_size=2)),
        st.fixed_dictionaries({}, optional={"additionalItems": st.booleans(), "minItems": st.integers(0, 2),
                                            "maxItems": st.integers(0, 3), "uniqueItems": st.booleans()}))
    combined = st.builds(lambda key, branches: {key: branches}, st.sampled_from(["anyOf", "oneOf", "allOf"]),
                         st.lists(inner, min_size=1, max_size=3))
    negated = st.builds(lambda sub: {"not": sub}, inner)
    return st.one_of(objects, arrays, combined, negated)


SCHEMAS = st.recursive(leaves(), extend, max_leaves=6)


def subschemas(node: Schema, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every subschema of ``node`` (where an edit can happen)."""
    found = [path]
    if isinstance(node, dict):
        for key in ("properties",):
            for name, sub in node.get(key, {}).items():
                found += subschemas(sub, (*path, key, name))
        for key in ("additionalProperties", "items", "not"):
            if isinstance(node.get(key), dict | bool):
                found += subschemas(node[key], (*path, key))
        for key in ("items", "anyOf", "oneOf", "allOf"):
            if isinstance(node.get(key), list):
                for i, sub in enumerate(node[key]):
                    found += subschemas(sub, (*path, key, i))
    return found


def replace(node: Schema, path: tuple[Any, ...], value: Schema) -> Schema:
    if not path:
        return value
    out = copy.deepcopy(node)
    target = out
    for token in path[:-1]:
        target = target[token]
    target[path[-1]] = value
    return out


@st.composite
def edited(draw: st.DrawFn) -> tuple[Schema, Schema]:
    writer = draw(SCHEMAS)
    if draw(st.integers(0, 4)) == 0:
        return writer, draw(SCHEMAS)
    reader = writer
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(subschemas(reader)))
        at: Any = reader
        for token in path:
            at = at[token]
        how = draw(st.sampled_from(["replace", "drop", "tweak"]))
        if how == "replace" or not isinstance(at, dict) or not at:
            reader = replace(reader, path, draw(SCHEMAS))
        elif how == "drop":
            reader = replace(reader, path, {k: v for k, v in at.items() if k != draw(st.sampled_from(sorted(at)))})
        else:
            reader = replace(reader, path, {**at, **draw(st.fixed_dictionaries({}, optional={
                "minimum": st.integers(-5, 5), "maxLength": st.integers(0, 3), "required": st.just(["a"]),
                "additionalProperties": st.just(False), "not": leaves(), "maxItems": st.integers(0, 2)}))})
    return writer, reader


def load(doc: Schema, name: str) -> Any:
    return parse(json.dumps(doc), name, "jsonschema")


@settings(max_examples=150, deadline=None, derandomize=True, database=None,  # the same examples in every run
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(pair=edited(), data=st.data())
def test_verdicts_hold_for_generated_documents(pair: tuple[Schema, Schema], data: st.DataObject) -> None:
    writer, reader = pair
    old, new = load(writer, "old.json"), load(reader, "new.json")
    accepts_old, accepts_new = drafts.validator(old.document), drafts.validator(new.document)
    result = compare(old, new, "BACKWARD")
    event("compatible" if result.compatible else "undecided" if all(
        v.rule == "JSON-UNDECIDED" for v in result.violations) else "incompatible")
    for v in result.violations:
        if v.rule != "JSON-UNDECIDED":
            assert v.verified, v
            assert accepts_old.is_valid(v.counterexample) and not accepts_new.is_valid(v.counterexample), v
    if not result.compatible:
        return
    documents = from_schema(old.document)
    for _ in range(8):
        try:
            doc = data.draw(documents, label="document of the writer")
        except SchemaError:  # hypothesis-jsonschema rewrote the schema into an invalid one: no oracle here
            reject()
        if accepts_old.is_valid(doc):  # hypothesis-jsonschema's own reading could differ: the validator decides
            assert accepts_new.is_valid(doc), f"called compatible, but the new schema rejects {doc!r}"
