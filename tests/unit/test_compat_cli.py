"""``sigma schemas compat``: exit codes 0/1/2, the JSON contract, and one clear line for bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.clirunner import sigma

V1: dict[str, Any] = {"type": "object", "properties": {"bags": {"type": "integer", "minimum": 0}},
                      "required": ["bags"], "additionalProperties": False}
V2 = {**V1, "properties": {**V1["properties"], "kg": {"type": "number"}}, "required": ["bags", "kg"]}
AVRO = {"type": "record", "name": "Belongings", "namespace": "t", "fields": [{"name": "bags", "type": "int"}]}


def write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def test_exit_codes_and_json_contract(tmp_path: Path) -> None:
    old, new = write(tmp_path / "v1.json", V1), write(tmp_path / "v2.json", V2)
    same = sigma("schemas", "compat", str(old), str(old), "--level", "FULL_TRANSITIVE")
    assert same.returncode == 0 and same.stdout.rstrip().endswith("compatible: 0 violation(s) in 1 check(s)")
    bad = sigma("schemas", "compat", str(old), str(new), "--level", "BACKWARD", "--format", "json")
    assert bad.returncode == 1, bad.stderr
    report = json.loads(bad.stdout)
    assert report["compatible"] is False
    (violation,) = report["violations"]
    assert {"rule", "path", "message"} <= set(violation)
    assert violation["rule"] == "JSON-REQUIRED-ADDED" and violation["path"] == "$.required[1]"
    assert violation["file"] == str(new) and violation["line"] == 14
    assert "'kg' became required" in violation["message"] and "readers using the new schema" in violation["message"]
    assert violation["counterexample_verified"] is True
    assert Draft202012Validator(V1).is_valid(violation["counterexample"])
    assert not Draft202012Validator(V2).is_valid(violation["counterexample"])
    forward = sigma("schemas", "compat", str(old), str(new), "--level", "FORWARD")
    assert forward.returncode == 1, "v1 readers have a closed model and reject kg"
    assert "JSON-PROPERTY-ADDED-CLOSED" in forward.stdout and "valid under the new schema" in forward.stdout
    assert sigma("schemas", "compat", str(old), str(new), "--level", "NONE").returncode == 0


def test_forward_break_is_named_from_the_new_schema_side(tmp_path: Path) -> None:
    old, new = write(tmp_path / "v1.json", V2), write(tmp_path / "v2.json", V1)
    result = sigma("schemas", "compat", str(old), str(new), "--level", "FORWARD", "--format", "json")
    assert result.returncode == 1
    rules = {v["rule"]: v for v in json.loads(result.stdout)["violations"]}
    assert set(rules) == {"JSON-REQUIRED-REMOVED"}
    assert "no longer required" in rules["JSON-REQUIRED-REMOVED"]["message"]
    assert rules["JSON-REQUIRED-REMOVED"]["direction"] == "forward"


def test_avro_files_and_text_output(tmp_path: Path) -> None:
    old = write(tmp_path / "v1.avsc", AVRO)
    new = write(tmp_path / "v2.avsc", {**AVRO, "fields": [*AVRO["fields"], {"name": "kg", "type": "double"}]})
    result = sigma("schemas", "compat", str(old), str(new))
    assert result.returncode == 1
    assert f"{new}:10: error AVRO-FIELD-ADDED-NO-DEFAULT" in result.stdout
    assert "fix: give the field a default" in result.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (("BROKEN",), "broken.json:1: not valid JSON"),
    (("GOOD", "--level", "SIDEWAYS"), "unknown compatibility level 'SIDEWAYS'"),
    (("MISSING",), "missing.json: cannot read"),
    (("BADSCHEMA",), "not a valid JSON Schema at $.properties.bags.type"),
    (("BADAVRO",), "bad.avsc: not a valid Avro schema"),
    (("AVRO",), "good.json is jsonschema but"),
])
def test_bad_input_exits_2_with_one_line(tmp_path: Path, args: tuple[str, ...], expected: str) -> None:
    files = {
        "GOOD": write(tmp_path / "good.json", V1),
        "BROKEN": tmp_path / "broken.json",
        "MISSING": tmp_path / "missing.json",
        "BADSCHEMA": write(tmp_path / "badschema.json", {"properties": {"bags": {"type": 5}}}),
        "BADAVRO": write(tmp_path / "bad.avsc", {"type": "record", "name": "R", "fields": [{"type": "int"}]}),
        "AMBIGUOUS": write(tmp_path / "ambiguous.json", {"type": "string"}),
        "AVRO": write(tmp_path / "v1.avsc", AVRO),
    }
    files["BROKEN"].write_text("{not json")
    new = str(files[args[0]])
    result = sigma("schemas", "compat", str(files["GOOD"]), new, *args[1:])
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sigma: error: ") and expected in lines[0], result.stderr


def test_type_decides_an_ambiguous_schema(tmp_path: Path) -> None:
    a, b = write(tmp_path / "a.json", {"type": "string"}), write(tmp_path / "b.json", {"type": "integer"})
    unsure = sigma("schemas", "compat", str(a), str(b))
    assert unsure.returncode == 2
    assert "a.json: cannot tell whether this is Avro or JSON Schema; pass --type avro|jsonschema" in unsure.stderr
    as_json = sigma("schemas", "compat", str(a), str(b), "--type", "jsonschema", "--format", "json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["violations"][0]["rule"] == "JSON-TYPE-NARROWED"
    as_avro = sigma("schemas", "compat", str(a), str(b), "--type", "avro", "--format", "json")
    assert as_avro.returncode == 2 and "not a valid Avro schema" in as_avro.stderr
