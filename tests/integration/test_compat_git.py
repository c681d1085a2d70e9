"""``sigma schemas check`` on temporary git repositories: git-ref and directory modes, immutable releases,
levels per subject (transitive too), generated models, the baseline and its expiry, every output format,
and bad input. No broker involved."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from lxml import etree

from tests.clirunner import sigma

DATA = Path(__file__).parents[1] / "data"
JSON_V1: dict[str, Any] = {"type": "object", "properties": {"bags": {"type": "integer", "minimum": 0}},
                           "required": ["bags"], "additionalProperties": False}
AVRO_V1: dict[str, Any] = {"type": "record", "name": "Belongings", "namespace": "t",
                           "fields": [{"name": "bags", "type": "int"}]}


def write(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                   check=True, capture_output=True)


def commit(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "release")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write(root / "schemas/jsonschema/belongings/v1.json", JSON_V1)
    write(root / "schemas/avro/belongings/v1.avsc", AVRO_V1)
    (root / "schemas/compat.toml").write_text('default_level = "BACKWARD"\n')
    git(root, "init", "-q")
    commit(root)
    return root


def check(root: Path, *args: str, against: str = "HEAD") -> subprocess.CompletedProcess[str]:
    return sigma("schemas", "check", "--against", against, "--root", str(root), *args)


def violations(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return list(json.loads(result.stdout)["violations"])


def breaking_v2(repo: Path) -> None:
    write(repo / "schemas/jsonschema/belongings/v2.json",
          {**JSON_V1, "properties": {"bags": {"type": "integer", "minimum": 1}, "kg": {"type": "number"}},
           "required": ["bags", "kg"]})
    write(repo / "schemas/avro/belongings/v2.avsc",
          {**AVRO_V1, "fields": [*AVRO_V1["fields"], {"name": "kg", "type": "double"}]})


def test_unchanged_and_compatible_catalogues_pass(repo: Path) -> None:
    assert check(repo).returncode == 0
    write(repo / "schemas/jsonschema/belongings/v2.json",
          {**JSON_V1, "properties": {**JSON_V1["properties"], "kg": {"type": "number"}}})
    write(repo / "schemas/avro/belongings/v2.avsc",
          {**AVRO_V1, "fields": [*AVRO_V1["fields"], {"name": "kg", "type": ["null", "double"], "default": None}]})
    result = check(repo, "--format", "json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["checked"] == 5, "released files, v2 defaults ×2, v1→v2 ×2"


def test_every_violation_with_file_line_and_path(repo: Path) -> None:
    breaking_v2(repo)
    result = check(repo)
    assert result.returncode == 1
    out = result.stdout
    assert "schemas/jsonschema/belongings/v2.json:14: error JSON-REQUIRED-ADDED [belongings jsonschema v1→v2 " \
           "BACKWARD] $.required[1]" in out
    assert "schemas/jsonschema/belongings/v2.json:6: error JSON-BOUND-TIGHTENED" in out
    assert "schemas/avro/belongings/v2.avsc:10: error AVRO-FIELD-ADDED-NO-DEFAULT" in out
    assert out.rstrip().endswith("incompatible: 3 violation(s) in 5 check(s)")


def test_released_versions_are_immutable(repo: Path) -> None:
    write(repo / "schemas/jsonschema/belongings/v1.json", {**JSON_V1, "description": "edited"})
    (repo / "schemas/avro/belongings/v1.avsc").unlink()
    result = check(repo, "--format", "json")
    assert result.returncode == 1
    found = {v["rule"]: v for v in violations(result)}
    assert set(found) == {"CATALOGUE-RELEASED-EDITED", "CATALOGUE-VERSION-DELETED"}
    assert found["CATALOGUE-RELEASED-EDITED"]["file"] == "schemas/jsonschema/belongings/v1.json"
    assert found["CATALOGUE-RELEASED-EDITED"]["line"] == 12, "the first line that differs"
    assert found["CATALOGUE-VERSION-DELETED"]["file"] == "schemas/avro/belongings/v1.avsc"


def test_transitive_level_compares_every_earlier_version(repo: Path) -> None:
    """Avro is not transitive: dropping a field and re-adding it with another type and a default passes
    v2→v3, but v1 records still carry the old type."""
    write(repo / "schemas/avro/belongings/v1.avsc",
          {**AVRO_V1, "fields": [*AVRO_V1["fields"], {"name": "kg", "type": "int"}]})
    commit(repo)
    write(repo / "schemas/avro/belongings/v2.avsc", AVRO_V1)
    write(repo / "schemas/avro/belongings/v3.avsc",
          {**AVRO_V1, "fields": [*AVRO_V1["fields"], {"name": "kg", "type": "string", "default": ""}]})
    plain = check(repo, "--format", "json")
    assert plain.returncode == 0, plain.stdout
    (repo / "schemas/compat.toml").write_text('default_level = "BACKWARD"\n[subjects.belongings]\n'
                                              'level = "BACKWARD_TRANSITIVE"\n')
    result = check(repo, "--format", "json")
    assert result.returncode == 1
    assert [(v["rule"], v["check"]) for v in violations(result)] == [
        ("AVRO-TYPE-CHANGED", "belongings avro v1→v3 BACKWARD_TRANSITIVE")]
    (repo / "schemas/compat.toml").write_text('[subjects]\nbelongings = "FORWARD"\n')
    forward = check(repo, "--format", "json")
    assert {v["rule"] for v in violations(forward)} == {"AVRO-FIELD-REMOVED-NO-DEFAULT"}, "v1 readers need kg"


def test_new_subject_and_new_version_defaults_are_checked(repo: Path) -> None:
    write(repo / "schemas/avro/flight/v1.avsc",
          {"type": "record", "name": "Flight", "fields": [{"name": "seat", "type": ["null", "string"],
                                                           "default": "1A"}]})
    result = check(repo, "--format", "json")
    assert result.returncode == 1
    (found,) = violations(result)
    assert found["rule"] == "AVRO-UNION-DEFAULT-NOT-FIRST" and found["subject"] == "flight"
    assert found["path"] == "$.fields[0].default" and found["line"] == 11


def test_baseline_accepts_until_the_expiry_date(repo: Path) -> None:
    breaking_v2(repo)
    baseline = repo / "schemas/compat-baseline.toml"
    entry = ('[[accepted]]\nrule = "{rule}"\nsubject = "belongings"\nreason = "agreed in CH-1"\n'
             'expires = {expires}\n')
    tomorrow, today = date.today() + timedelta(days=1), date.today()
    baseline.write_text("".join(entry.format(rule=r, expires=tomorrow.isoformat()) for r in (
        "JSON-REQUIRED-ADDED", "JSON-BOUND-TIGHTENED", "AVRO-FIELD-ADDED-NO-DEFAULT")))
    accepted = check(repo)
    assert accepted.returncode == 0, accepted.stdout
    assert "accepted by baseline: agreed in CH-1" in accepted.stdout
    assert accepted.stdout.rstrip().endswith("compatible: 0 violation(s), 3 accepted in 5 check(s)")
    baseline.write_text(baseline.read_text().replace(tomorrow.isoformat(), today.isoformat(), 1))
    expired = check(repo)
    assert expired.returncode == 1
    assert f"baseline entry expired on {today.isoformat()}: agreed in CH-1" in expired.stdout
    other = repo / "elsewhere.toml"
    other.write_text(entry.format(rule="JSON-ENUM-NARROWED", expires=tomorrow.isoformat()))
    unused = check(repo, "--baseline", str(other))
    assert unused.returncode == 1 and "matched no violation: remove it" in unused.stdout


def test_every_output_format(repo: Path, sarif_schema: dict[str, Any]) -> None:
    breaking_v2(repo)
    github = check(repo, "--format", "github")
    assert github.returncode == 1
    assert github.stdout.startswith("::error file=schemas/avro/belongings/v2.avsc,line=10,"
                                    "title=AVRO-FIELD-ADDED-NO-DEFAULT::$.fields[1]: field 'kg'")
    assert "::error file=schemas/jsonschema/belongings/v2.json,line=14,title=JSON-REQUIRED-ADDED::" in github.stdout
    junit = check(repo, "--format", "junit")
    xsd = etree.XMLSchema(etree.parse(str(DATA / "junit-jenkins.xsd")))
    document = etree.fromstring(junit.stdout.encode())
    xsd.assertValid(document)
    suite = document.find("testsuite")
    assert suite is not None and suite.get("failures") == "2"
    sarif = check(repo, "--format", "sarif")
    log = json.loads(sarif.stdout)
    Draft7Validator(sarif_schema).validate(log)
    assert sorted(r["ruleId"] for r in log["runs"][0]["results"]) == [
        "AVRO-FIELD-ADDED-NO-DEFAULT", "JSON-BOUND-TIGHTENED", "JSON-REQUIRED-ADDED"]
    counterexamples = [v for v in violations(check(repo, "--format", "json")) if v.get("counterexample_verified")]
    assert len(counterexamples) == 2


def test_directory_mode_and_a_ref_without_a_catalogue(repo: Path, tmp_path: Path) -> None:
    released = tmp_path / "released"
    shutil.copytree(repo / "schemas", released / "schemas")
    breaking_v2(repo)
    assert {v["rule"] for v in violations(check(repo, "--format", "json", against=str(released)))} == {
        "JSON-REQUIRED-ADDED", "JSON-BOUND-TIGHTENED", "AVRO-FIELD-ADDED-NO-DEFAULT"}
    empty = tmp_path / "empty"
    (empty / "docs").mkdir(parents=True)
    git(empty, "init", "-q")
    (empty / "docs/readme.md").write_text("before the catalogue\n")
    commit(empty)
    shutil.copytree(repo / "schemas", empty / "schemas")
    first = check(empty, "--format", "json")
    assert first.returncode == 1, "all versions are new, and v2 still breaks v1"
    assert json.loads(first.stdout)["notes"][0].startswith("compared with git ref HEAD")


@pytest.mark.parametrize(("against", "expected"), [
    ("no-such-ref", "git ref 'no-such-ref' not found"),
    ("HEAD~5", "git ref 'HEAD~5' not found"),
])
def test_missing_ref_exits_2_with_one_line(repo: Path, against: str, expected: str) -> None:
    result = check(repo, against=against)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("sigma: error: ") and expected in line


def test_bad_input_in_the_catalogue_exits_2(repo: Path, tmp_path: Path) -> None:
    (repo / "schemas/jsonschema/belongings/v2.json").write_text('{"type": "object",\n  "required": [}\n')
    broken = check(repo)
    assert broken.returncode == 2
    assert "schemas/jsonschema/belongings/v2.json:2: not valid JSON" in broken.stderr
    (repo / "schemas/jsonschema/belongings/v2.json").unlink()
    (repo / "schemas/compat.toml").write_text('default_level = "SOMETIMES"\n')
    level = check(repo)
    assert level.returncode == 2 and "unknown compatibility level 'SOMETIMES'" in level.stderr
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    assert "not in a git repository" in check(outside).stderr


def test_a_model_changed_without_a_new_version(tmp_path: Path, repo_root: Path) -> None:
    """A copy of the real catalogue: clean, then a released file differs from what its model renders."""
    copy = tmp_path / "copy"
    for part in ("schemas/avro", "schemas/jsonschema"):
        shutil.copytree(repo_root / part, copy / part)
    shutil.copy(repo_root / "schemas/compat.toml", copy / "schemas/compat.toml")
    git(copy, "init", "-q")
    commit(copy)
    clean = check(copy, "--models", "--format", "json")
    assert clean.returncode == 0, clean.stdout
    target = copy / "schemas/jsonschema/belongings/v1.json"
    target.write_text(target.read_text().replace('"title": "Belongings"', '"title": "Suitcases"'))
    (copy / "schemas/avro/fit_to_fly/v1.avsc").unlink()
    result = check(copy, "--models", "--format", "json")
    assert result.returncode == 1
    found = {(v["rule"], v["file"]) for v in violations(result)}
    assert ("CATALOGUE-MODEL-NOT-GENERATED", "schemas/jsonschema/belongings/v1.json") in found
    assert ("CATALOGUE-MODEL-NOT-GENERATED", "schemas/avro/fit_to_fly/v1.avsc") in found
    assert ("CATALOGUE-RELEASED-EDITED", "schemas/jsonschema/belongings/v1.json") in found
    assert ("CATALOGUE-VERSION-DELETED", "schemas/avro/fit_to_fly/v1.avsc") in found
    assert check(copy, "--no-models", "--format", "json").returncode == 1
