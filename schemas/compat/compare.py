"""Compare two schemas (Avro or JSON Schema) at a compatibility level: every violation, as values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.compat import avro_rules, counterexample, jsonschema_rules
from schemas.compat.levels import directions
from schemas.compat.model import CompatInputError, Violation

_AVRO_ONLY = {"record", "enum", "fixed", "map", "long", "int", "float", "double", "bytes", "boolean"}
_JSON_ONLY = {"$schema", "properties", "required", "additionalProperties", "$defs", "anyOf", "oneOf", "allOf",
              "minimum", "maximum", "pattern", "enum", "const", "minLength", "maxLength"}


def load(path: Path) -> tuple[str, Any]:
    """(text, parsed JSON) of a schema file; CompatInputError when unreadable or not JSON."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise CompatInputError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        raise CompatInputError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None


def detect(path: Path, document: Any, forced: str | None) -> str:
    """``avro`` or ``jsonschema``, from --type, the extension or the content; ambiguity is an input error."""
    if forced:
        if forced not in ("avro", "jsonschema"):
            raise CompatInputError(f"unknown --type {forced!r}; use avro or jsonschema")
        return forced
    if path.suffix == ".avsc":
        return "avro"
    if isinstance(document, list | str):
        return "avro"
    if isinstance(document, bool):
        return "jsonschema"
    if isinstance(document, dict):
        if "fields" in document or document.get("type") in _AVRO_ONLY or "symbols" in document:
            return "avro"
        if _JSON_ONLY & set(document):
            return "jsonschema"
    raise CompatInputError(f"{path}: cannot tell whether this is Avro or JSON Schema; pass --type avro|jsonschema")


def compare(old: Any, new: Any, kind: str, level: str, *, defaults: bool = True) -> list[Violation]:
    """Violations of ``level`` when ``new`` follows ``old`` (``defaults``: also check ``new``'s Avro defaults,
    which depend on ``new`` alone, so a transitive check asks for them once)."""
    found: list[Violation] = []
    for direction in directions(level):
        reader, writer = (new, old) if direction == "backward" else (old, new)
        if kind == "avro":
            found += avro_rules.resolution(reader, writer, direction)
        else:
            found += _json(writer, reader, direction)
    if kind == "avro" and defaults and directions(level):
        found += avro_rules.defaults(new)
    return found


def _json(writer: Any, reader: Any, direction: str) -> list[Violation]:
    who = ("readers validating with the new schema reject documents written under the old one"
           if direction == "backward" else "readers still on the old schema reject documents the new one allows")
    out = []
    for finding in jsonschema_rules.findings(writer, reader):
        doc, verified = counterexample.find(writer, reader, finding)
        note = "" if verified else " (no verified counter-example found)"
        out.append(Violation(finding.rule, finding.path, f"{finding.message}; {who}{note}",
                             counterexample=doc if verified else None, verified=verified))
    return out
