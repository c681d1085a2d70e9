"""Read a schema file: parse it, tell Avro from JSON Schema, and refuse what is not a valid schema.

Why refuse early: a checker that half-understands a broken schema reports nonsense; an unparseable or
invalid schema is an input error (exit 2) with the file and the reason on one line. Parsed schemas are
memoised by content, because a transitive check meets each version many times.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import avro.errors
import jsonschema_rs
from jsonschema import validators

from compat import avro_rules, drafts
from compat.locate import render
from compat.model import CompatInputError

KINDS = ("avro", "jsonschema")
MAX_DEPTH = 100
"""Deepest nesting of objects and arrays a schema file may have. The rules walk a schema recursively and met
Python's recursion limit at about 320 levels; real schemas stay far below 100 (the message book's: 6)."""
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
"""JSON strings (skipped: brackets inside them do not nest) and brackets."""
_AVRO_TYPES = {"record", "enum", "fixed", "map", "long", "int", "float", "double", "bytes", "boolean"}
_JSON_KEYWORDS = {"$schema", "$id", "$ref", "$defs", "definitions", "properties", "required",
                  "additionalProperties", "anyOf", "oneOf", "allOf", "not", "minimum", "maximum", "pattern", "enum",
                  "const", "minLength", "maxLength", "prefixItems", "patternProperties", "if", "additionalItems",
                  "dependencies", "dependentRequired", "dependentSchemas", "exclusiveMinimum", "exclusiveMaximum",
                  "multipleOf", "minItems", "maxItems", "uniqueItems", "contains", "propertyNames"}


@dataclass(frozen=True, eq=False)
class Schema:
    """One schema version: its kind, parsed document, text (for line numbers) and content digest.

    Equal and hashed by kind and content, so pairwise results can be memoised across file names.
    """

    kind: str
    document: Any
    text: str
    name: str
    digest: str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)


def read(path: Path, kind: str | None = None, hint: str | None = None, draft: str = drafts.DEFAULT) -> Schema:
    """Load a schema file; ``kind`` (``--type``) decides; else the extension and content do, and ``hint``
    (the other file's kind) settles what they leave open. ``draft``: of a JSON Schema without ``$schema``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise CompatInputError(f"{path}: cannot read ({reason})") from None
    return parse(text, str(path), kind, hint, draft)


@functools.lru_cache(maxsize=8192)
def parse(text: str, name: str, kind: str | None = None, hint: str | None = None,
          draft: str = drafts.DEFAULT) -> Schema:
    """A validated ``Schema`` from text; ``CompatInputError`` naming ``name`` when it is not one.

    A JSON Schema without ``$schema`` is read as ``draft`` (``--default-draft``): its document gets that
    ``$schema``, so the rules and the validators downstream all read one draft (and the digest, which
    memoised comparisons are keyed by, differs per draft)."""
    deepest = _nesting(text)
    if deepest > MAX_DEPTH:
        raise CompatInputError(f"{name}: objects and arrays nested {deepest} levels deep; a schema may nest at most "
                               f"{MAX_DEPTH} levels")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CompatInputError(f"{name}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    found = detect(name, document, kind, hint)
    if found == "avro":
        _check_avro(text, name)
        key = f"{found}\0{text}"
    else:
        _check_json_schema(document, name)
        document = drafts.with_draft(document, draft)
        _check_meta_schema(document, name, drafts.of(document, draft))
        key = f"{found}\0{drafts.of(document, draft)}\0{text}"
    return Schema(found, document, text, name, hashlib.sha1(key.encode()).hexdigest())


def _nesting(text: str) -> int:
    """How deeply objects and arrays nest in JSON ``text``, read without recursion (exact above MAX_DEPTH;
    a text with fewer brackets than that cannot nest deeper, and is not scanned)."""
    if text.count("{") + text.count("[") <= MAX_DEPTH:
        return 0
    depth = deepest = 0
    for token in _TOKENS.findall(text):
        if token in ("{", "["):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("}", "]"):
            depth -= 1
    return deepest


def detect(name: str, document: Any, forced: str | None, hint: str | None = None) -> str:
    """``avro`` or ``jsonschema`` from ``--type``, the extension or the content (``hint`` when those leave it
    open); ambiguity is an input error."""
    if forced:
        if forced not in KINDS:
            raise CompatInputError(f"unknown --type {forced!r}; use avro or jsonschema")
        return forced
    if name.endswith(".avsc"):
        return "avro"
    if isinstance(document, list | str):
        return "avro"
    if isinstance(document, bool):
        return "jsonschema"
    if isinstance(document, dict):
        avro_like = "fields" in document or "symbols" in document or document.get("type") in _AVRO_TYPES
        json_like = bool(_JSON_KEYWORDS & set(document))
        if avro_like and not json_like:
            return "avro"
        if json_like and not avro_like:
            return "jsonschema"
    if hint in KINDS:
        return hint
    raise CompatInputError(f"{name}: cannot tell whether this is Avro or JSON Schema; pass --type avro|jsonschema")


def _check_avro(text: str, name: str) -> None:
    try:
        avro_rules.parse_text(text)
    except (avro.errors.AvroException, TypeError, ValueError, KeyError, AttributeError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise CompatInputError(f"{name}: not a valid Avro schema ({reason})") from None


def _check_json_schema(document: Any, name: str) -> None:
    """A JSON Schema is an object or a boolean, and names a draft this checker knows, if it names one."""
    if isinstance(document, dict) and "$schema" in document:
        known = validators.validator_for(document, default=None)
        if known is None:
            raise CompatInputError(f"{name}: unsupported $schema {document['$schema']!r}; use draft 4, 6, 7, "
                                   "2019-09 or 2020-12")
    elif not isinstance(document, dict | bool):
        raise CompatInputError(f"{name}: not a valid JSON Schema (a schema is an object or a boolean)")


def _check_meta_schema(document: Any, name: str, draft: str) -> None:
    """Validate against the draft's metaschema (Rust validator: fast, and no network for known drafts)."""
    if isinstance(document, bool) and draft == "draft-04":
        raise CompatInputError(f"{name}: not a valid JSON Schema (draft-04 has no boolean schemas; give "
                               "$schema a later draft, or --default-draft)")
    try:
        jsonschema_rs.meta.validate(document)
    except jsonschema_rs.ValidationError as exc:
        where = render(list(exc.instance_path))
        raise CompatInputError(f"{name}: not a valid JSON Schema at {where} ({draft}: {exc.message[:200]}); if "
                               "it is written for another draft, say so with $schema or --default-draft") from None
