"""Output formats: JUnit validated against a JUnit XSD, SARIF against the official SARIF 2.1.0 JSON Schema,
GitHub annotations escaped, and the same facts everywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from lxml import etree

from compat.formats import github, junit, render, sarif, text
from compat.model import Result, Violation

DATA = Path(__file__).parents[1] / "data"
FAILING = Violation("JSON-REQUIRED-ADDED", "$.required[1]", "property 'kg' became required, at document path $: "
                    "readers using the new schema reject data written with the old one",
                    subject="belongings", file="schemas/jsonschema/belongings/v2.json", line=14,
                    check="belongings jsonschema v1→v2 BACKWARD", fix="make it optional", direction="backward",
                    searched=True, verified=True, counterexample={"bags": 1})
ACCEPTED = FAILING.at(rule="JSON-BOUND-TIGHTENED", path="$.properties.bags.minimum", line=7,
                      accepted="agreed in CH-1 (accepted until 2027-01-31)", counterexample={"bags": 0})
EXPIRED = FAILING.at(rule="AVRO-FIELD-ADDED-NO-DEFAULT", path="$.fields[2]", file="schemas/avro/belongings/v2.avsc",
                     check="belongings avro v1→v2 BACKWARD", searched=False, verified=False, counterexample=None,
                     expired="baseline entry expired on 2026-01-01: old reason")
CATALOGUE = Violation("CATALOGUE-VERSION-DELETED", "$", "released version v1 of x (avro) was deleted",
                      subject="x", file="schemas/avro/x/v1.avsc", check="released versions unchanged")
RESULT = Result((FAILING, ACCEPTED, EXPIRED, CATALOGUE),
                ("released versions unchanged", "belongings jsonschema v1→v2 BACKWARD",
                 "belongings avro v1→v2 BACKWARD", "other avro v1→v2 FULL"),
                ("baseline entry X for y matched no violation: remove it",))
CLEAN = Result((), ("belongings avro v1→v2 BACKWARD",))


@pytest.mark.parametrize("result", [RESULT, CLEAN], ids=["violations", "clean"])
def test_junit_validates_against_the_junit_xsd(result: Result) -> None:
    xsd = etree.XMLSchema(etree.parse(str(DATA / "junit-jenkins.xsd")))
    document = etree.fromstring(junit(result).encode())
    xsd.assertValid(document)
    suite = document.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == list(result.checks)
    if result is RESULT:
        assert suite.get("failures") == "3" and suite.get("tests") == "4"
        failures = [f.get("type") for f in suite.iter("failure")]
        assert failures == ["CATALOGUE-VERSION-DELETED", "JSON-REQUIRED-ADDED", "AVRO-FIELD-ADDED-NO-DEFAULT"]
        assert "accepted JSON-BOUND-TIGHTENED" in "".join(suite.itertext())
        assert cases[3].find("failure") is None


def test_junit_xsd_rejects_what_it_should() -> None:
    xsd = etree.XMLSchema(etree.parse(str(DATA / "junit-jenkins.xsd")))
    broken = junit(RESULT).replace('tests="4"', 'tests="four"', 1)
    assert not xsd.validate(etree.fromstring(broken.encode()))


@pytest.mark.parametrize("result", [RESULT, CLEAN], ids=["violations", "clean"])
def test_sarif_validates_against_the_sarif_schema(result: Result, sarif_schema: dict[str, Any]) -> None:
    Draft7Validator.check_schema(sarif_schema)
    log = json.loads(sarif(result))
    Draft7Validator(sarif_schema).validate(log)
    results = log["runs"][0]["results"]
    assert len(results) == len(result.violations)
    if result is RESULT:
        first = results[0]
        assert first["ruleId"] == "JSON-REQUIRED-ADDED" and first["level"] == "error"
        assert first["locations"][0]["physicalLocation"] == {
            "artifactLocation": {"uri": "schemas/jsonschema/belongings/v2.json"}, "region": {"startLine": 14}}
        assert 'Counter-example (valid under the old schema, rejected by the new one): {"bags": 1}' in \
            first["message"]["text"]
        assert results[1]["suppressions"] == [{"kind": "external", "status": "accepted",
                                               "justification": "agreed in CH-1 (accepted until 2027-01-31)"}]
        rules = log["runs"][0]["tool"]["driver"]["rules"]
        assert [r["id"] for r in rules][results[2]["ruleIndex"]] == "AVRO-FIELD-ADDED-NO-DEFAULT"


def test_sarif_schema_rejects_what_it_should(sarif_schema: dict[str, Any]) -> None:
    log = json.loads(sarif(RESULT))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert not Draft7Validator(sarif_schema).is_valid(log)
    del log["runs"][0]["results"][0]["level"]
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert not Draft7Validator(sarif_schema).is_valid(log)


def test_github_annotations_point_at_file_and_line_and_escape() -> None:
    lines = github(RESULT).splitlines()
    assert lines[0].startswith(
        "::error file=schemas/jsonschema/belongings/v2.json,line=14,title=JSON-REQUIRED-ADDED::$.required[1]: "
        "property 'kg' became required")
    assert 'Counter-example (valid under the old schema, rejected by the new one): {"bags": 1}.' in lines[0]
    assert "Fix: make it optional." in lines[0]
    assert lines[1].startswith("::notice file=schemas/jsonschema/belongings/v2.json,line=7,"
                               "title=JSON-BOUND-TIGHTENED (accepted)::")
    assert "The baseline entry expired on 2026-01-01: old reason." in lines[2]
    assert lines[-1] == "incompatible: 3 violation(s) in 4 check(s)"
    odd = Result((FAILING.at(file="a,b:c.json", message="50% done\nnext line"),))
    (annotation, _) = github(odd).splitlines()
    assert annotation.startswith("::error file=a%2Cb%3Ac.json,line=14,") and "50%25 done%0Anext line" in annotation


def test_text_and_json_carry_the_same_facts() -> None:
    out = text(RESULT)
    assert "schemas/jsonschema/belongings/v2.json:14: error JSON-REQUIRED-ADDED [belongings jsonschema v1→v2 " \
           "BACKWARD] $.required[1]" in out
    assert 'counter-example (valid under the old schema, rejected by the new one): {"bags": 1}' in out
    assert "accepted by baseline: agreed in CH-1" in out and "note: baseline entry X" in out
    assert out.rstrip().endswith("incompatible: 3 violation(s), 1 accepted in 4 check(s)")
    data = json.loads(render(RESULT, "json"))
    assert data["compatible"] is False and data["checked"] == 4
    assert data["violations"][0]["counterexample"] == {"bags": 1}
    assert data["violations"][1]["accepted"].startswith("agreed in CH-1")
    assert "counterexample" not in data["violations"][2] and "counterexample_verified" not in data["violations"][2]
