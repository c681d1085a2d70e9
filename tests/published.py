"""What sigma publishes, held to the schemas it publishes for it: each finding and each report a test reads.

Why in the tests that read real output: a field added to a finding or to the report without its schema (whose
objects name all their fields) fails there, on what sigma actually wrote, not on a hand-made example.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import jsonschema_rs

from schemas import layout
from schemas.deadletters import HEADERS
from schemas.findings import CONTENT_TYPE, WITHDRAWN_HEADER, ValidationFinding

FINDING_SCHEMA = layout.json_path(ValidationFinding.subject, ValidationFinding.version)


@cache
def _validator(path: str) -> Any:
    schema = json.loads((layout.REPO_ROOT / path).read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def published_finding(value: bytes | None, headers: Sequence[tuple[str, bytes | None]]) -> dict[str, Any]:
    """A record of the findings topic as its reader sees it: valid against the released JSON Schema, readable
    into the model, and sent with the one header the message book names."""
    assert list(headers) == [("content-type", CONTENT_TYPE.encode())], headers
    finding: dict[str, Any] = json.loads(value or b"")
    _validator(FINDING_SCHEMA).validate(finding)
    ValidationFinding.model_validate_json(value or b"")
    return finding


def published_withdrawal(key: bytes | None, headers: Sequence[tuple[str, bytes | None]]) -> str:
    """A tombstone of the findings topic as its reader sees it: a case key, and the one header the wire contract
    names for it, saying why; returns the reason."""
    assert key is not None and [name for name, _ in headers] == [WITHDRAWN_HEADER], headers
    reason = (headers[0][1] or b"").decode()
    assert " from " in reason, reason  # which records, from whom
    return reason


def check_dead_letter(headers: list[tuple[str, bytes]], original: int) -> None:
    """The headers sigma added to a dead letter (after the record's ``original`` own ones): each one the message
    book documents, of the form it gives, and those every letter has present."""
    added = headers[original:]
    documented = {h.name: h for h in HEADERS}
    assert [name for name, _ in added if name not in documented] == []
    for name, value in added:
        pattern = documented[name].pattern
        assert pattern is None or re.fullmatch(pattern, value.decode()), (name, value)
    assert {h.name for h in HEADERS if h.always} <= {name for name, _ in added}


def check_report(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` (what ``--report-json`` wrote), after checking it against the report's JSON Schema."""
    _validator(layout.REPORT_SCHEMA).validate(report)
    return report
