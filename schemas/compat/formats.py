"""Render a compatibility result for people and CI: text, json, junit, github annotations, SARIF 2.1.0.

The output is a contract (as in buf): rule ids, file:line, and the same facts in every format.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

from schemas.compat.model import Result, Violation

FORMATS = ("text", "json", "junit", "github", "sarif")


def render(result: Result, fmt: str) -> str:
    """The result in one of ``FORMATS``."""
    return {"text": text, "json": as_json, "junit": junit, "github": github, "sarif": sarif}[fmt](result)


def _where(v: Violation) -> str:
    return f"{v.file}:{v.line}: " if v.file else ""


def text(result: Result) -> str:
    lines = []
    for v in result.violations:
        status = "accepted" if v.accepted else "error"
        lines.append(f"{_where(v)}{status} {v.rule} at {v.path}: {v.message}")
        if v.verified:
            lines.append(f"    counter-example (valid before, rejected now): {json.dumps(v.counterexample)}")
        if v.accepted:
            lines.append(f"    accepted by baseline: {v.accepted}")
    failing = len(result.failing)
    lines.append(f"{'compatible' if result.compatible else 'incompatible'}: {failing} violation(s)"
                 + (f", {len(result.violations) - failing} accepted" if len(result.violations) > failing else ""))
    return "\n".join(lines) + "\n"


def as_json(result: Result) -> str:
    return json.dumps(result.to_json(), indent=2, default=str) + "\n"


def github(result: Result) -> str:
    out = []
    for v in result.failing:
        message = v.message + (f" Counter-example: {json.dumps(v.counterexample)}" if v.verified else "")
        message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        location = f"file={v.file},line={v.line}," if v.file else ""
        out.append(f"::error {location}title={v.rule}::{v.path}: {message}")
    for v in result.violations:
        if v.accepted:
            out.append(f"::notice {'file=' + v.file + ',' if v.file else ''}title={v.rule}::accepted: {v.accepted}")
    return "\n".join(out) + ("\n" if out else "")


def junit(result: Result) -> str:
    cases = []
    for v in result.violations:
        name = quoteattr(f"{v.rule} {v.file or v.subject} {v.path}")
        body = "" if v.accepted else (f"<failure message={quoteattr(v.message)} type={quoteattr(v.rule)}>"
                                      f"{escape(_where(v) + v.message)}</failure>")
        skipped = f"<skipped message={quoteattr('accepted: ' + v.accepted)}/>" if v.accepted else ""
        cases.append(f'    <testcase classname="schemas.compat" name={name}>{body}{skipped}</testcase>')
    if not cases:
        cases.append('    <testcase classname="schemas.compat" name="catalogue compatible"/>')
    failures = len(result.failing)
    skipped_count = len(result.violations) - failures
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites tests="{len(cases)}" failures="{failures}">\n'
            f'  <testsuite name="sigma schemas check" tests="{len(cases)}" failures="{failures}" errors="0" '
            f'skipped="{skipped_count}">\n' + "\n".join(cases) + "\n  </testsuite>\n</testsuites>\n")


def sarif(result: Result) -> str:
    rules = sorted({v.rule for v in result.violations})
    results = []
    for v in result.violations:
        entry: dict[str, object] = {
            "ruleId": v.rule, "level": "note" if v.accepted else "error",
            "message": {"text": f"{v.path}: {v.message}"},
        }
        if v.file:
            entry["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": v.file},
                                                        "region": {"startLine": v.line}}}]
        if v.accepted:
            entry["suppressions"] = [{"kind": "external", "justification": v.accepted}]
        results.append(entry)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "sigma schemas check", "informationUri": "https://sigma.example/",
                                      "rules": [{"id": r} for r in rules]}},
                  "results": results}],
    }
    return json.dumps(doc, indent=2) + "\n"
