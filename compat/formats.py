"""Render a compatibility result for people and CI: text, json, junit, github annotations, SARIF 2.1.0.

The output is a contract (as in buf): the same facts — rule id, file:line, path in the schema, what
changed, which readers break, the verified counter-example and the fix — in every format.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

from compat.model import Result, Violation
from compat.rules import RULES

FORMATS = ("text", "json", "junit", "github", "sarif")
TOOL = "sigma schemas check"


def render(result: Result, fmt: str) -> str:
    """The result in one of ``FORMATS``."""
    return {"text": text, "json": as_json, "junit": junit, "github": github, "sarif": sarif}[fmt](result)


def _where(v: Violation) -> str:
    return f"{v.file}:{v.line}: " if v.file else ""


def _sample(v: Violation) -> str:
    return json.dumps(v.counterexample, ensure_ascii=False, sort_keys=True)


def explain(v: Violation) -> str:
    """The message with counter-example, fix and baseline state, on one line."""
    parts = [f"{v.path}: {v.message}."]
    if v.verified:
        parts.append(f"Counter-example ({v.counterexample_sides}): {_sample(v)}.")
    if v.fix:
        parts.append(f"Fix: {v.fix}.")
    if v.expired:
        parts.append(f"The {v.expired}.")
    return " ".join(parts)


def text(result: Result) -> str:
    lines = []
    for v in result.violations:
        status = "accepted" if v.accepted else "error"
        lines.append(f"{_where(v)}{status} {v.rule}" + (f" [{v.check}]" if v.check else "") + f" {v.path}")
        lines.append(f"    {v.message}")
        if v.verified:
            lines.append(f"    counter-example ({v.counterexample_sides}): {_sample(v)}")
        if v.fix:
            lines.append(f"    fix: {v.fix}")
        if v.accepted:
            lines.append(f"    accepted by baseline: {v.accepted}")
        if v.expired:
            lines.append(f"    {v.expired}")
    lines += [f"note: {note}" for note in result.notes]
    failing = len(result.failing)
    accepted = len(result.violations) - failing
    lines.append(f"{'compatible' if result.compatible else 'incompatible'}: {failing} violation(s)"
                 + (f", {accepted} accepted" if accepted else "") + f" in {result.checked} check(s)")
    return "\n".join(lines) + "\n"


def as_json(result: Result) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False, default=str) + "\n"


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def github(result: Result) -> str:
    """GitHub Actions workflow commands: one annotation per violation, on its file and line."""
    out = []
    for v in result.violations:
        command = "notice" if v.accepted else "error"
        where = f"file={_property(v.file)},line={v.line}," if v.file else ""
        title = v.rule + (" (accepted)" if v.accepted else "")
        body = explain(v) + (f" Accepted by baseline: {v.accepted}." if v.accepted else "")
        out.append(f"::{command} {where}title={_property(title)}::{_data(body)}")
    out += [f"::warning title={_property(TOOL)}::{_data(note)}" for note in result.notes if "remove it" in note]
    summary = f"{'compatible' if result.compatible else 'incompatible'}: {len(result.failing)} violation(s)"
    out.append(f"{summary} in {result.checked} check(s)")
    return "\n".join(out) + "\n"


def junit(result: Result) -> str:
    """JUnit XML: one test case per comparison made, a failure element per violation it found."""
    labels = list(result.checks) or ["compatibility"]
    by_check: dict[str, list[Violation]] = {label: [] for label in labels}
    for v in result.violations:
        by_check.setdefault(v.check if v.check in by_check else labels[0], []).append(v)
    cases, failed = [], 0
    for label, found in by_check.items():
        failing = [v for v in found if not v.accepted]
        failed += bool(failing)
        body = "".join(f"<failure message={quoteattr(v.rule + ': ' + v.message)} type={quoteattr(v.rule)}>"
                       f"{escape(_where(v) + explain(v))}</failure>" for v in failing)
        accepted = [v for v in found if v.accepted]
        if accepted:
            body += "<system-out>" + escape("\n".join(f"accepted {v.rule} {v.path}: {v.accepted}"
                                                      for v in accepted)) + "</system-out>"
        subject = label.split(" ")[0] if found and found[0].subject else "catalogue"
        cases.append(f'    <testcase classname={quoteattr("sigma.schemas." + subject)} name={quoteattr(label)}>'
                     f"{body}</testcase>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name="{TOOL}" tests="{len(cases)}" failures="{failed}" errors="0">\n'
            f'  <testsuite name="{TOOL}" tests="{len(cases)}" failures="{failed}" errors="0" skipped="0">\n'
            + "\n".join(cases) + "\n  </testsuite>\n</testsuites>\n")


def sarif(result: Result) -> str:
    """SARIF 2.1.0: rule metadata from the rule table, a result per violation, baseline entries as suppressions."""
    rule_ids = sorted({v.rule for v in result.violations})
    rules = [{"id": rule, "shortDescription": {"text": RULES[rule].title},
              "fullDescription": {"text": f"Breaks {RULES[rule].breaks}."},
              "help": {"text": f"Fix: {RULES[rule].fix}."}} for rule in rule_ids]
    results = []
    for v in result.violations:
        entry: dict[str, object] = {
            "ruleId": v.rule, "ruleIndex": rule_ids.index(v.rule), "level": "note" if v.accepted else "error",
            "message": {"text": explain(v)},
            "properties": {"path": v.path, "subject": v.subject, "check": v.check},
        }
        if v.file:
            entry["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": v.file},
                                                        "region": {"startLine": v.line}}}]
        if v.accepted:
            entry["suppressions"] = [{"kind": "external", "status": "accepted", "justification": v.accepted}]
        results.append(entry)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": TOOL, "informationUri": "https://sigma.example/docs/compat.md",
                                      "rules": rules}},
                  "results": results}],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
