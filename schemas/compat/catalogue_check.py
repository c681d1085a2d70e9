"""``sigma schemas check``: the catalogue in the working tree against a git ref (or a directory).

Fails when a released version file was edited or deleted, when a model changed without its version being
generated, and when a new version breaks its subject's compatibility level against the previous version
(or every earlier one, for the transitive levels).
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from schemas.compat import baseline as baselines
from schemas.compat.compare import compare
from schemas.compat.levels import parse, transitive
from schemas.compat.locate import line_of
from schemas.compat.model import CompatInputError, Result, Violation

_FILE = re.compile(r"^schemas/(avro|jsonschema)/([a-z0-9_]+)/v([0-9]+)\.(avsc|json)$")


def _tree(root: Path) -> dict[str, str]:
    files = {}
    for path in sorted((root / "schemas").glob("*/*/v*.*")):
        rel = path.relative_to(root).as_posix()
        if _FILE.match(rel):
            files[rel] = path.read_text()
    return files


def _git(root: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CompatInputError(f"git {' '.join(args[:2])} failed: {proc.stderr.strip().splitlines()[-1:] or ['?']}")
    return proc.stdout


def _at_ref(root: Path, ref: str) -> dict[str, str]:
    check = subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", "-q", f"{ref}^{{commit}}"],
                           capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise CompatInputError(f"unknown git ref {ref!r} in {root}; fetch it (git fetch origin) or pass a directory")
    names = _git(root, "ls-tree", "-r", "--name-only", ref, "--", "schemas/avro", "schemas/jsonschema").split()
    return {n: _git(root, "show", f"{ref}:{n}") for n in names if _FILE.match(n)}


def _before(root: Path, against: str) -> dict[str, str]:
    candidate = Path(against)
    if candidate.is_dir():
        return _tree(candidate)
    return _at_ref(root, against)


def levels(root: Path) -> tuple[str, dict[str, str]]:
    """Default level and per-subject levels from ``schemas/compat.toml``."""
    path = root / "schemas" / "compat.toml"
    if not path.is_file():
        return "BACKWARD", {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise CompatInputError(f"{path}: {exc}") from None
    subjects = {name: parse(conf.get("level", "BACKWARD")) for name, conf in data.get("subjects", {}).items()}
    return parse(data.get("default_level", "BACKWARD")), subjects


def check(root: Path, against: str, *, baseline: Path | None = None, today: date | None = None,
          models: bool = True) -> Result:
    """Every violation of the working tree's catalogue against ``against`` (git ref or directory)."""
    before, after = _before(root, against), _tree(root)
    default, per_subject = levels(root)
    found: list[Violation] = []
    for rel, text in sorted(before.items()):
        kind, subject, version = _parts(rel)
        if rel not in after:
            found.append(Violation("CATALOGUE-VERSION-DELETED", "$", f"released version v{version} of {subject} "
                                   f"({kind}) was deleted; readers and recordings still use it",
                                   subject=subject, file=rel))
        elif after[rel] != text:
            found.append(Violation("CATALOGUE-RELEASED-EDITED", "$", f"released version v{version} of {subject} "
                                   "was edited; released versions are immutable: bump the model's version instead",
                                   subject=subject, file=rel, line=_first_diff(text, after[rel])))
    checked = 0
    versions: dict[tuple[str, str], list[int]] = {}
    for kind, subject, version in map(_parts, after):
        versions.setdefault((kind, subject), []).append(version)
    parsed: dict[str, Any] = {}

    def doc(rel: str) -> Any:
        if rel not in parsed:
            parsed[rel] = _json(after[rel], rel)
        return parsed[rel]

    for rel, text in sorted(after.items()):
        if rel in before:
            continue
        kind, subject, version = _parts(rel)
        level = per_subject.get(subject, default)
        earlier = sorted(v for v in versions[(kind, subject)] if v < version)
        targets = earlier if transitive(level) else earlier[-1:]
        for i, old_version in enumerate(targets):
            old_rel = rel.replace(f"/v{version}.", f"/v{old_version}.")
            checked += 1
            for v in compare(doc(old_rel), doc(rel), kind, level, defaults=i == 0):
                found.append(v.at(subject=subject, file=rel, line=line_of(text, v.path),
                                  message=f"{level} v{old_version}→v{version}: {v.message}"))
    if models and (root / "schemas" / "events").is_dir():
        from schemas.generate import check as generated

        for problem in generated(root):
            _, subject, _ = _parts(problem.path) if _FILE.match(problem.path) else ("", "", 0)
            found.append(Violation("CATALOGUE-MODEL-NOT-GENERATED", "$",
                                   f"{problem.path} is {problem.kind}: the model changed without a new version "
                                   "being generated; bump `version` on the model and run `sigma schemas generate`",
                                   subject=subject, file=problem.path))
    entries = baselines.load(baseline) if baseline else []
    return Result(tuple(baselines.apply(found, entries, today or date.today())), checked)


def _parts(rel: str) -> tuple[str, str, int]:
    match = _FILE.match(rel)
    assert match is not None
    return match.group(1), match.group(2), int(match.group(3))


def _json(text: str, rel: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CompatInputError(f"{rel}:{exc.lineno}: not valid JSON ({exc.msg})") from None


def _first_diff(old: str, new: str) -> int:
    for number, (a, b) in enumerate(zip(old.splitlines(), new.splitlines(), strict=False), start=1):
        if a != b:
            return number
    return min(len(old.splitlines()), len(new.splitlines())) + 1
