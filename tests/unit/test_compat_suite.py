"""The JSON Schema Test Suite as an oracle the checker did not write (tests/data/json-schema-test-suite).

Each suite group is a schema with documents it accepts and documents it rejects, per draft. For each:
- the draft selection: the schema loaded with that draft as the default (as ``--default-draft``) gets the
  validator that judges every document as the suite says;
- the set reasoning: a schema the checker calls empty accepts no suite document, and the types it calls
  live include the type of every accepted one;
- the checker's verdicts, built from the suite's documents: the set of accepted documents is compatible
  with the schema (BACKWARD, writer ``enum`` of them); the rejected ones are not, each violation with a
  verified counter-example; the schema rejects nothing that ``not`` of its rejected documents allows
  (compatible); and ``not`` of one accepted document rejects a document of the schema (incompatible, with
  a verified counter-example).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compat import drafts
from compat.compare import compare
from compat.jsonschema_side import Side
from compat.load import Schema, parse
from compat.model import Result

SUITE = Path(__file__).resolve().parents[1] / "data" / "json-schema-test-suite"
DRAFTS = {"draft4": "draft-04", "draft6": "draft-06", "draft7": "draft-07", "draft2019-09": "2019-09",
          "draft2020-12": "2020-12"}
REMOTE = "localhost:1234"
"""Groups that refer to the suite's remote documents (not vendored: no network in tests) are left out."""
FILES = sorted((folder, path.name) for folder in DRAFTS for path in (SUITE / folder).glob("*.json"))


def groups(folder: str, name: str) -> list[dict[str, Any]]:
    return [g for g in json.loads((SUITE / folder / name).read_text()) if REMOTE not in json.dumps(g["schema"])]


def load(doc: Any, name: str, draft: str) -> Schema:
    return parse(json.dumps(doc), name, "jsonschema", draft=draft)


def proven(result: Result) -> bool:
    """Incompatible, and every violation carries a verified counter-example."""
    return not result.compatible and all(v.verified for v in result.violations)


def test_the_suite_is_there_with_its_license() -> None:
    assert (SUITE / "LICENSE").read_text().startswith("Copyright (c) 2012 Julian Berman"), \
        "tests/data/json-schema-test-suite is missing: see its README.md for where it comes from"
    assert {folder for folder, _ in FILES} == set(DRAFTS)
    used = sum(len(groups(folder, name)) for folder, name in FILES)
    everything = sum(len(json.loads((SUITE / f / n).read_text())) for f, n in FILES)
    assert used > 1100 and everything - used < 20, (used, everything)


@pytest.mark.parametrize(("folder", "name"), FILES, ids=[f"{f}/{n}" for f, n in FILES])
def test_checker_agrees_with_the_suite(folder: str, name: str) -> None:
    draft = DRAFTS[folder]
    for group in groups(folder, name):
        label = f"{folder}/{name}: {group['description']}"
        schema = load(group["schema"], "suite.json", draft)
        validator = drafts.validator(schema.document)
        for case in group["tests"]:
            assert validator.is_valid(case["data"]) == case["valid"], f"{label}: {case['description']}"
        valid = [case["data"] for case in group["tests"] if case["valid"]]
        invalid = [case["data"] for case in group["tests"] if not case["valid"]]
        side = Side(schema.document)
        assert not (valid and side.empty(schema.document)), f"{label}: called empty, but accepts documents"
        for doc in valid:
            found = side.live_types(schema.document)
            assert found & {"null" if doc is None else _type(doc)}, f"{label}: {doc!r} not of live types {found}"
        if valid:
            accepted = compare(load({"enum": valid}, "valid.json", draft), schema, "BACKWARD")
            assert accepted.violations == (), f"{label}: {[v.message for v in accepted.violations]}"
        if invalid:
            assert proven(compare(load({"enum": invalid}, "invalid.json", draft), schema, "BACKWARD")), label
            allowed = compare(schema, load({"not": {"enum": invalid}}, "not.json", draft), "BACKWARD")
            assert allowed.violations == (), f"{label}: {[v.message for v in allowed.violations]}"
        for doc in valid[:2]:
            one_less = compare(schema, load({"not": {"enum": [doc]}}, "one-less.json", draft), "BACKWARD")
            assert proven(one_less), f"{label}: {[v.message for v in one_less.violations]}"


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]
