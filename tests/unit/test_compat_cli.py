"""``sigma schemas compat`` and ``check``: exit codes, git-ref mode on a temporary repository, formats,
baseline and expiry, and bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.clirunner import sigma

SARIF_SUBSET = json.loads((Path(__file__).parents[1] / "data" / "sarif-2.1.0-subset.json").read_text())

V1 = {"type": "object", "properties": {"bags": {"type": "integer", "minimum": 0}}, "required": ["bags"],
      "additionalProperties": False}
AVRO_V1 = {"type": "record", "name": "Belongings", "namespace": "t",
           "fields": [{"name": "bags", "type": "int"}]}


def write(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def test_compat_exit_codes_and_json_output(tmp_path: Path) -> None:
    old = write(tmp_path / "old.json", V1)
    new = write(tmp_path / "new.json", {**V1, "properties": {**V1["properties"], "kg": {"type": "number"}},
                                        "required": ["bags", "kg"]})
    ok = sigma("schemas", "compat", str(old), str(old), "--level", "FULL")
    assert ok.returncode == 0 and "compatible: 0 violation(s)" in ok.stdout
    bad = sigma("schemas", "compat", str(old), str(new), "--level", "BACKWARD", "--format", "json")
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert report["compatible"] is False
    violation = report["violations"][0]
    assert {"rule", "path", "message"} <= set(violation) and violation["rule"] == "JSON-REQUIRED-ADDED"
    assert violation["counterexample_verified"] is True
    assert Draft202012Validator(V1).is_valid(violation["counterexample"])
    forward = sigma("schemas", "compat", str(old), str(new), "--level", "FORWARD")
    assert forward.returncode == 1 and "JSON-PROPERTY-REMOVED-CLOSED" in forward.stdout, "old readers reject kg"
    assert sigma("schemas", "compat", str(new), str(old), "--level", "BACKWARD").returncode == 1
    assert sigma("schemas", "compat", str(old), str(new), "--level", "NONE").returncode == 0


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    good = write(tmp_path / "a.json", V1)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    cases = [
        (("schemas", "compat", str(good), str(broken)), "broken.json:1: not valid JSON"),
        (("schemas", "compat", str(good), str(good), "--level", "SIDEWAYS"), "unknown compatibility level"),
        (("schemas", "check", "--against", "no-such-ref"), "unknown git ref 'no-such-ref'"),
    ]
    for args, expected in cases:
        result = sigma(*args)
        assert result.returncode == 2, args
        assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_ambiguous_schema_needs_type(tmp_path: Path) -> None:
    a = write(tmp_path / "a.json", {"type": "string"})
    b = write(tmp_path / "b.json", {"type": "integer"})
    assert sigma("schemas", "compat", str(a), str(b)).returncode == 2
    as_json = sigma("schemas", "compat", str(a), str(b), "--type", "jsonschema")
    assert as_json.returncode == 1 and "JSON-TYPE-NARROWED" in as_json.stdout


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write(root / "schemas/jsonschema/belongings/v1.json", V1)
    write(root / "schemas/avro/belongings/v1.avsc", AVRO_V1)
    (root / "schemas/compat.toml").write_text('default_level = "BACKWARD"\n[subjects]\n')
    git(root, "init", "-q")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1")
    return root


def check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return sigma("schemas", "check", "--against", "HEAD", "--root", str(root), *args)


def test_git_ref_mode_finds_every_violation_with_file_and_line(repo: Path) -> None:
    write(repo / "schemas/jsonschema/belongings/v2.json",
          {**V1, "properties": {"bags": {"type": "integer", "minimum": 1}, "kg": {"type": "number"}},
           "required": ["bags", "kg"]})
    write(repo / "schemas/avro/belongings/v2.avsc", {**AVRO_V1, "fields": [*AVRO_V1["fields"],
                                                                           {"name": "kg", "type": "double"}]})
    result = check(repo)
    assert result.returncode == 1
    assert "schemas/jsonschema/belongings/v2.json:" in result.stdout
    for rule in ("JSON-REQUIRED-ADDED", "JSON-BOUND-TIGHTENED", "AVRO-FIELD-ADDED-NO-DEFAULT"):
        assert rule in result.stdout
    line = next(ln for ln in result.stdout.splitlines() if "JSON-BOUND-TIGHTENED" in ln)
    assert line.startswith("schemas/jsonschema/belongings/v2.json:6: error")


def test_edited_and_deleted_releases_fail(repo: Path) -> None:
    write(repo / "schemas/jsonschema/belongings/v1.json", {**V1, "description": "edited"})
    (repo / "schemas/avro/belongings/v1.avsc").unlink()
    result = check(repo, "--format", "json")
    rules = {v["rule"] for v in json.loads(result.stdout)["violations"]}
    assert result.returncode == 1 and rules == {"CATALOGUE-RELEASED-EDITED", "CATALOGUE-VERSION-DELETED"}


def test_transitive_level_compares_every_earlier_version(repo: Path) -> None:
    (repo / "schemas/compat.toml").write_text('default_level = "BACKWARD"\n[subjects.belongings]\n'
                                              'level = "BACKWARD_TRANSITIVE"\n')
    v2 = {**V1, "properties": {"bags": {"type": "integer"}}}
    v3 = {**V1, "properties": {"bags": {"type": "integer", "minimum": -5}}}
    write(repo / "schemas/jsonschema/belongings/v2.json", v2)
    write(repo / "schemas/jsonschema/belongings/v3.json", v3)
    result = check(repo, "--format", "json")
    found = json.loads(result.stdout)["violations"]
    assert result.returncode == 1
    assert [(v["rule"], v["message"].split(":")[0]) for v in found] == [
        ("JSON-BOUND-TIGHTENED", "BACKWARD_TRANSITIVE v2→v3")]
    (repo / "schemas/compat.toml").write_text('default_level = "BACKWARD"\n')
    assert check(repo).returncode == 1, "plain BACKWARD compares v3 with v2 only, which also breaks here"


def test_baseline_accepts_until_expiry(repo: Path) -> None:
    write(repo / "schemas/jsonschema/belongings/v2.json", {**V1, "properties": {"bags": {"type": "integer",
                                                                                         "minimum": 2}}})
    tomorrow, yesterday = date.today() + timedelta(days=1), date.today() - timedelta(days=1)
    baseline = repo / "baseline.toml"
    entry = '[[accepted]]\nrule = "JSON-BOUND-TIGHTENED"\nsubject = "belongings"\nreason = "agreed in CH-1"\n'
    baseline.write_text(entry + f"expires = {tomorrow.isoformat()}\n")
    accepted = check(repo, "--baseline", str(baseline))
    assert accepted.returncode == 0 and "accepted by baseline: agreed in CH-1" in accepted.stdout
    baseline.write_text(entry + f"expires = {yesterday.isoformat()}\n")
    expired = check(repo, "--baseline", str(baseline))
    assert expired.returncode == 1 and f"baseline entry expired on {yesterday.isoformat()}" in expired.stdout


def test_output_formats(repo: Path) -> None:
    write(repo / "schemas/jsonschema/belongings/v2.json", {**V1, "required": ["bags", "x"]})
    github = check(repo, "--format", "github")
    assert github.stdout.startswith("::error file=schemas/jsonschema/belongings/v2.json,line=")
    assert "title=JSON-REQUIRED-ADDED::" in github.stdout
    junit = ET.fromstring(check(repo, "--format", "junit").stdout)
    suite = junit.find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    failure = suite.find("testcase/failure")
    assert failure is not None and failure.get("type") == "JSON-REQUIRED-ADDED"
    sarif = json.loads(check(repo, "--format", "sarif").stdout)
    Draft202012Validator(SARIF_SUBSET).validate(sarif)
    assert sarif["runs"][0]["results"][0]["ruleId"] == "JSON-REQUIRED-ADDED"


def test_model_changed_without_generation_is_caught(tmp_path: Path, repo_root: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(repo_root / "schemas", copy / "schemas", ignore=shutil.ignore_patterns("__pycache__"))
    before = tmp_path / "before"
    shutil.copytree(copy / "schemas", before / "schemas")
    target = copy / "schemas/jsonschema/belongings/v1.json"
    target.write_text(target.read_text().replace('"Number of bags"', '"Number of suitcases"'))
    result = sigma("schemas", "check", "--against", str(before), "--root", str(copy), "--format", "json")
    rules = {v["rule"] for v in json.loads(result.stdout)["violations"]}
    assert result.returncode == 1 and {"CATALOGUE-MODEL-NOT-GENERATED", "CATALOGUE-RELEASED-EDITED"} <= rules
