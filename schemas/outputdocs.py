"""The validator's own topics in the generated documents: its findings and its dead letters.

Why apart from the subjects: these messages are not partners' events. They carry no CloudEvents envelope and
are written by sigma's principals, not by partners, so they are described from their own sources: the
finding's released schema files and example, the dead-letter headers of ``schemas.deadletters``, and the ACL
plan for who writes and reads each topic. The error codes are linked, not copied: docs/wire-contract.md
lists them, held to the code by a unit test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas import access, layout, topics
from schemas.catalogue import Catalogue
from schemas.deadletters import ERROR_CODES_SECTION, HEADERS, STAGES
from schemas.derive import doc
from schemas.doctables import cell, record_tables
from schemas.errors import UnknownSchemaError
from schemas.events.base import CASE_KEY_PATTERN
from schemas.examples import example_finding
from schemas.findings import CONTENT_TYPE, WITHDRAWN_HEADER, ValidationFinding, encode

FINDING = ValidationFinding.subject
DEAD_LETTER = "dead_letter"
WITHDRAWN = "finding_withdrawn"
MESSAGES = {topics.FINDINGS: [FINDING, WITHDRAWN], topics.DLQ: [DEAD_LETTER]}
"""The messages each of the validator's topics carries."""
WITHDRAWN_ABOUT = ("A tombstone: the case key, no value, and one header, `withdrawn_reason`, saying which records "
                   "delivered after the case was decided show it was not to be checked (its booking cancelled "
                   "before the checkpoint, or not on the forced track). The case then has no verdict: compaction "
                   "removes its findings")
ANCHORS = {topics.FINDINGS: f"[{FINDING}](#{FINDING})", topics.DLQ: "[dead letters](#dead-letters)"}
"""How the message book's topics table links them."""
ERROR_CODES_URL = layout.uri("docs/" + ERROR_CODES_SECTION)
FINDINGS_WIRE = ("JSON in UTF-8 with sorted keys, in the form of the JSON Schema (times in ISO 8601 with their "
                 "offset), and one header, `content-type: application/json`: no CloudEvents headers. The Avro "
                 "schema is the same record, for whoever stores findings in Avro")
DEAD_LETTER_SUMMARY = "A record the validator could not process, unchanged, with `dlq_*` headers saying why"
DEAD_LETTER_ABOUT = ("The original record's key, value and record timestamp unchanged, and its headers in their "
                     "order, followed by the `dlq_*` headers (UTF-8 text). The error codes, with the check behind "
                     "each and its fix, are in docs/wire-contract.md. `sigma dlq list` summarises the letters, "
                     "`sigma dlq redrive` sends them back to their topic once the cause is fixed")


@dataclass(frozen=True)
class ReleasedFinding:
    """The finding's released versions and the files of the latest."""

    versions: tuple[int, ...]
    avro: dict[str, Any]
    json_schema: dict[str, Any]

    @property
    def latest(self) -> int:
        return self.versions[-1]


def released_finding(root: Path) -> ReleasedFinding:
    """The finding's schema as released under ``root``."""
    versions = layout.released_versions(root, FINDING)
    if not versions:
        raise UnknownSchemaError(f"no released schema for subject {FINDING}: run `sigma schemas generate`")

    def read(path: str) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((root / path).read_text(encoding="utf-8"))
        return document

    return ReleasedFinding(versions, read(layout.avro_path(FINDING, versions[-1])),
                           read(layout.json_path(FINDING, versions[-1])))


def principals(catalogue: Catalogue, topic: str, operation: str) -> list[str]:
    """The principals the ACL plan lets ``operation`` (read, write) the unprefixed ``topic``."""
    allowed = {g.principal for g in access.plan(catalogue) if g.resource == "topic" and g.name == topic
               and g.operation == operation}
    return [p for p in access.PRINCIPALS if p in allowed]


def payload_schema(catalogue: Catalogue) -> tuple[str, dict[str, Any], str]:
    """The finding's component name, its latest JSON Schema and that file's path (the dead letter's payload is
    whatever the original record held, so it has none)."""
    finding = released_finding(catalogue.root)
    return ValidationFinding.__name__, finding.json_schema, layout.json_path(FINDING, finding.latest)


def _finding_message(catalogue: Catalogue) -> dict[str, Any]:
    finding = released_finding(catalogue.root)
    description = doc(ValidationFinding)
    return {
        "name": FINDING,
        "title": ValidationFinding.__name__,
        "summary": description.splitlines()[0],
        "description": (f"{description}\n\nWritten by: {', '.join(principals(catalogue, topics.FINDINGS, 'write'))}. "
                        f"Read by: {', '.join(principals(catalogue, topics.FINDINGS, 'read'))}. "
                        f"Released versions: {', '.join(f'v{v}' for v in finding.versions)}. On the wire: "
                        f"{FINDINGS_WIRE}."),
        "contentType": CONTENT_TYPE,
        "headers": {"type": "object", "required": ["content-type"],
                    "properties": {"content-type": {"type": "string", "const": CONTENT_TYPE,
                                                    "description": "The value is JSON"}},
                    "description": "One header; nothing personal"},
        "payload": {"$ref": f"#/components/schemas/{ValidationFinding.__name__}"},
        "bindings": {"kafka": {"key": {"type": "string", "pattern": CASE_KEY_PATTERN,
                                       "description": "The case key of the finding's case"},
                               "bindingVersion": "0.5.0"}},
        "examples": [{"name": "revision", "headers": {"content-type": CONTENT_TYPE},
                      "payload": json.loads(encode(example_finding()))}],
        "x-producers": principals(catalogue, topics.FINDINGS, "write"),
        "x-readers": principals(catalogue, topics.FINDINGS, "read"),
        "x-avro-schema": layout.uri(layout.avro_path(FINDING, finding.latest)),
    }


def _header(name: str, meaning: str, pattern: str | None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "description": meaning}
    if name == "dlq_stage":
        schema["enum"] = list(STAGES)
    if name == "dlq_error_code":
        schema["externalDocs"] = {"url": ERROR_CODES_URL, "description": "The error codes"}
    if pattern is not None:
        schema["pattern"] = pattern
    return schema


def _dead_letter_message(catalogue: Catalogue) -> dict[str, Any]:
    return {
        "name": DEAD_LETTER,
        "title": "DeadLetter",
        "summary": DEAD_LETTER_SUMMARY,
        "description": f"{DEAD_LETTER_ABOUT}.\n\nWritten by: {', '.join(principals(catalogue, topics.DLQ, 'write'))}."
                       f" Read by: {', '.join(principals(catalogue, topics.DLQ, 'read'))}.",
        "contentType": "application/octet-stream",
        "headers": {"type": "object", "required": [h.name for h in HEADERS if h.always],
                    "properties": {h.name: _header(h.name, h.meaning, h.pattern) for h in HEADERS},
                    "description": "The original record's own headers first, unchanged, then these"},
        "payload": {"type": "string", "format": "binary",
                    "description": "The original record's value, byte for byte: a chain event in Avro or JSON, or "
                                   "bytes that could not be read; absent when the record had none"},
        "bindings": {"kafka": {"key": {"type": "string",
                                       "description": "The original record's key, unchanged (normally the case key; "
                                                      "absent or any bytes when that is what failed)"},
                               "bindingVersion": "0.5.0"}},
        "externalDocs": {"url": ERROR_CODES_URL, "description": "The error codes and the checks behind them"},
        "x-producers": principals(catalogue, topics.DLQ, "write"),
        "x-readers": principals(catalogue, topics.DLQ, "read"),
    }


def _withdrawn_message(catalogue: Catalogue) -> dict[str, Any]:
    return {
        "name": WITHDRAWN,
        "title": "Finding withdrawn",
        "summary": "A case's finding withdrawn: records delivered since show it was not to be checked",
        "description": f"{WITHDRAWN_ABOUT}. Written by: {', '.join(principals(catalogue, topics.FINDINGS, 'write'))}.",
        "headers": {"type": "object", "required": [WITHDRAWN_HEADER],
                    "properties": {WITHDRAWN_HEADER: {
                        "type": "string", "description": "Why, one clause per record that arrived since the finding "
                        "(UTF-8 text; nothing personal)"}},
                    "description": "One header; nothing personal"},
        "payload": {"type": "null"},
        "bindings": {"kafka": {"key": {"type": "string", "pattern": CASE_KEY_PATTERN,
                                       "description": "The case key of the finding withdrawn"},
                               "bindingVersion": "0.5.0"}},
        "examples": [{"name": "withdrawal", "headers": {WITHDRAWN_HEADER: WITHDRAWN_EXAMPLE}, "payload": None}],
        "x-producers": principals(catalogue, topics.FINDINGS, "write"),
        "x-readers": principals(catalogue, topics.FINDINGS, "read"),
    }


WITHDRAWN_EXAMPLE = ("late arrival from DTV (flight_booking), recorded 2 h before the checkpoint, delivered 5 h "
                     "after")


def messages(catalogue: Catalogue) -> dict[str, Any]:
    """The AsyncAPI messages of the validator's topics."""
    return {FINDING: _finding_message(catalogue), WITHDRAWN: _withdrawn_message(catalogue),
            DEAD_LETTER: _dead_letter_message(catalogue)}


def operations(catalogue: Catalogue) -> dict[str, Any]:
    """Who sends and who receives on the validator's topics, by the ACL plan."""
    found: dict[str, Any] = {}
    for topic, names in MESSAGES.items():
        for action, verb, operation in (("send", "sends", "write"), ("receive", "reads", "read")):
            for principal in principals(catalogue, topic, operation):
                found[f"{principal}-{verb}-{topic}"] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{topic}"},
                    "summary": f"{principal} {verb} {', '.join(names)}",
                    "messages": [{"$ref": f"#/channels/{topic}/messages/{name}"} for name in names],
                }
    return found


def _finding_section(catalogue: Catalogue) -> list[str]:
    finding = released_finding(catalogue.root)
    files = ", ".join(f"v{v}: [Avro](../{layout.avro_path(FINDING, v)}) · "
                      f"[JSON Schema](../{layout.json_path(FINDING, v)})" for v in finding.versions)
    return [
        f"## {FINDING}",
        "",
        doc(ValidationFinding),
        "",
        f"- Topic: `{topics.FINDINGS}`, keyed by the case key, compacted",
        f"- Written by: {', '.join(principals(catalogue, topics.FINDINGS, 'write'))}; "
        f"read by: {', '.join(principals(catalogue, topics.FINDINGS, 'read'))} (principals, by the ACL plan)",
        f"- Versions: {files}",
        f"- Avro record: `{finding.avro['name']}`",
        f"- On the wire: {FINDINGS_WIRE}",
        f"- Withdrawn (`{WITHDRAWN}`): {WITHDRAWN_ABOUT}. Example header: `{WITHDRAWN_HEADER}: {WITHDRAWN_EXAMPLE}`",
        "- When a case is decided and when a finding is revised: [wire-contract.md](wire-contract.md#findings)",
        "",
        *record_tables(finding.avro, finding.json_schema),
        "",
        "Example (a revision):",
        "",
        "```json",
        json.dumps(json.loads(encode(example_finding())), indent=2, ensure_ascii=False),
        "```",
        "",
    ]


def _dead_letter_section(catalogue: Catalogue) -> list[str]:
    return [
        "## Dead letters",
        "",
        f"{DEAD_LETTER_SUMMARY}.",
        "",
        f"- Topic: `{topics.DLQ}`, kept until deleted (no time-based retention)",
        f"- Written by: {', '.join(principals(catalogue, topics.DLQ, 'write'))}; "
        f"read by: {', '.join(principals(catalogue, topics.DLQ, 'read'))} (principals, by the ACL plan)",
        "",
        DEAD_LETTER_ABOUT.replace("docs/wire-contract.md", f"[wire-contract.md]({ERROR_CODES_SECTION})") + ".",
        "",
        "| header | on every letter | value |",
        "|---|---|---|",
        *[f"| `{h.name}` | {'yes' if h.always else 'no'} | {cell(h.meaning)} |" for h in HEADERS],
        "",
    ]


def sections(catalogue: Catalogue) -> list[str]:
    """The message book's sections on the validator's topics."""
    return [*_finding_section(catalogue), *_dead_letter_section(catalogue)]
