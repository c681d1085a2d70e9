"""``sigma conformance``: what in a partner's own output breaks the wire contract, record by record.

Why here, on the validator's engine: a partner must learn before going live exactly what the validator would
dead-letter, so the check is the validator's own (``Engine.process`` over a recording, the same code and
the same order of checks), not a second implementation that could drift. Each finding has the record's
coordinates, the rule (error code), where (JSON path or header) and the fix; the summary and exit code are
for CI.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from consumers.records import ConsumedRecord
from runtime.progress import Tracker
from validator.engine import Engine, Rejection
from validator.offline import recorded_prefix, validate_recording

FORMATS = ("text", "json", "junit")
TOOL = "sigma conformance"

FIXES: dict[str, str] = {
    "no-key": "send the case key as the key",
    "not-avro": "write the Avro single-object encoding of one record, nothing more",
    "truncated": "send the whole value",
    "unknown-schema": "write with a released schema (check the fingerprint against the wire contract); "
                      "send ce_type with JSON",
    "content-type": "send the content-type header that matches the value",
    "schema-invalid": "fix the field named by the path to keep the limit in the message book",
    "bad-key": "send the case key as ASCII",
    "bad-case-key": "derive the case key as the wire contract says (ck_ + 24 lowercase hex)",
    "key-mismatch": "use the same case key as the Kafka key and in the payload",
    "partner-not-allowed": "send only the subjects your organisation owns (message book)",
    "source-mismatch": "send only events in your own name (payload partner and ce_source), on your own topics",
    "wrong-topic": "send to prefix + your topic of the subject (chain.<partner>.<family>)",
    "missing-header": "send all seven CloudEvents headers with every record",
    "bad-header": "send each header once, only the contract's ce_ headers, ce_specversion 1.0",
    "header-mismatch": "build the headers from the event sent: ce_id = event_id, ce_type and ce_source with the "
                       "payload's partner, the subject and version written with",
    "wrong-partition": "leave Kafka's Java partitioner (murmur2) in place, or set partitioner=murmur2_random on "
                       "librdkafka",
    "header-key-not-utf8": "send header names as UTF-8 text",
    "unreadable-batch": "compress with gzip, snappy, lz4 or zstd, or not at all",
    "event-id-conflict": "a new event_id for every new event; the same id only when re-sending the same bytes",
}
"""The fix per error code, as in the wire contract's table (a unit test holds them to the same codes)."""
OTHER_FIX = "see docs/wire-contract.md, What the validator checks"


@dataclass(frozen=True)
class Finding:
    """One record that does not conform: where it is, which rule it breaks, where in it, and the fix."""

    topic: str
    partition: int
    offset: int
    stage: str
    rule: str
    where: str | None
    reason: str
    fix: str

    @classmethod
    def of(cls, record: ConsumedRecord, rejection: Rejection) -> Finding:
        where = rejection.path if rejection.header is None else f"header {rejection.header}"
        return cls(record.topic, record.partition, record.offset, rejection.stage, rejection.code, where,
                   rejection.reason, FIXES.get(rejection.code, OTHER_FIX))


@dataclass
class Result:
    """Every finding of one run, and how many records were checked."""

    records: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def rules(self) -> dict[str, int]:
        """Non-conforming records per rule."""
        return dict(sorted(Counter(f.rule for f in self.findings).items()))

    @property
    def conforms(self) -> bool:
        return not self.findings


def check_recording(path: Path, *, topic_prefix: str = "", tracker: Tracker | None = None) -> Result:
    """Run the validator's record checks over the recording at ``path``; every record that would be dead-lettered."""
    result = Result()
    engine = Engine(topic_prefix=recorded_prefix(path, topic_prefix))
    validate_recording(path, engine, tracker, lambda record, rejection: result.findings.append(
        Finding.of(record, rejection)))
    result.records = engine.state.counters.consumed
    return result


def render(result: Result, fmt: str) -> str:
    """The result as text (people), json (tools) or junit (CI: one test case per rule)."""
    return {"text": _text, "json": _json, "junit": _junit}[fmt](result)


def _summary(result: Result) -> str:
    bad = len(result.findings)
    return f"{result.records} records checked: {result.records - bad} conform, {bad} do not"


def _text(result: Result) -> str:
    lines = [f"{f.topic}/{f.partition}@{f.offset}  {f.rule}  {f.where or '-'}  {f.reason}  (fix: {f.fix})"
             for f in result.findings]
    if result.findings:
        lines += ["", "per rule:"] + [f"  {rule:22} {count}" for rule, count in result.rules.items()]
    lines.append(_summary(result))
    return "\n".join(lines) + "\n"


def _json(result: Result) -> str:
    document: dict[str, Any] = {"records": result.records, "conforming": result.records - len(result.findings),
                                "nonconforming": len(result.findings), "rules": result.rules,
                                "findings": [asdict(f) for f in result.findings]}
    return json.dumps(document, indent=2) + "\n"


def _junit(result: Result) -> str:
    """One test case per rule of the contract; a failure element per record breaking it."""
    rules = [*FIXES, *sorted(set(result.rules) - set(FIXES))]
    cases, failed = [], 0
    for rule in rules:
        found = [f for f in result.findings if f.rule == rule]
        failed += bool(found)
        body = "".join(f"<failure message={quoteattr(f'{f.topic}/{f.partition}@{f.offset}: {f.reason}')} "
                       f"type={quoteattr(rule)}>{escape(f'{f.where or chr(45)}: fix: {f.fix}')}</failure>"
                       for f in found)
        cases.append(f'    <testcase classname="sigma.conformance" name={quoteattr(rule)}>{body}</testcase>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name="{TOOL}" tests="{len(cases)}" failures="{failed}" errors="0">\n'
            f'  <testsuite name="{TOOL}" tests="{len(cases)}" failures="{failed}" errors="0" skipped="0">\n'
            + "\n".join(cases) + "\n  </testsuite>\n</testsuites>\n")
