"""Avro compatibility: the specification's schema-resolution rules (the ``avro`` package's checker), plus
what it misses: defaults that do not match their type, and union defaults that do not match the first branch.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import avro.errors
import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType, SchemaIncompatibilityType

from schemas.compat.model import CompatInputError, Violation

_RULES = {
    SchemaIncompatibilityType.name_mismatch: ("AVRO-NAME-MISMATCH", "the record/enum/fixed name changed"),
    SchemaIncompatibilityType.fixed_size_mismatch: ("AVRO-FIXED-SIZE-CHANGED", "the fixed size changed"),
    SchemaIncompatibilityType.missing_enum_symbols: ("AVRO-ENUM-SYMBOL-REMOVED",
                                                     "the reader's enum lacks symbols the writer may write"),
    SchemaIncompatibilityType.reader_field_missing_default_value: (
        "AVRO-FIELD-ADDED-NO-DEFAULT", "the reader has a field the writer does not write, and no default for it"),
    SchemaIncompatibilityType.type_mismatch: ("AVRO-TYPE-CHANGED", "the type cannot be promoted to the reader's"),
    SchemaIncompatibilityType.missing_union_branch: ("AVRO-UNION-BRANCH-REMOVED",
                                                     "the reader's union lacks a branch the writer may write"),
}


def parse(document: Any, source: str) -> avro.schema.Schema:
    """Parse an Avro schema document; CompatInputError when it is not a valid Avro schema."""
    hit = _BY_ID.get(id(document))
    if hit is not None and hit[0] is document:
        return hit[1]
    schema = _parse_text(json.dumps(document, sort_keys=True), source)
    if len(_BY_ID) > 8192:
        _BY_ID.clear()
    _BY_ID[id(document)] = (document, schema)
    return schema


_BY_ID: dict[int, tuple[Any, avro.schema.Schema]] = {}
"""Documents parsed during this process, by identity (the document is kept so an id is never reused)."""


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str, source: str) -> avro.schema.Schema:
    """Parsed once per distinct schema: a transitive check compares each version with many others."""
    try:
        return avro.schema.parse(text)
    except (avro.errors.SchemaParseException, TypeError, ValueError) as exc:
        raise CompatInputError(f"{source}: not a valid Avro schema ({str(exc).splitlines()[0][:200]})") from None


def resolution(reader: Any, writer: Any, direction: str) -> list[Violation]:
    """Every incompatibility of reading data written with ``writer`` using ``reader``."""
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
    result = checker.get_compatibility(parse(reader, "reader"), parse(writer, "writer"))
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    who = "readers on the new version" if direction == "backward" else "readers still on the old version"
    found = []
    for kind, message, location in zip(result.incompatibilities, result.messages, result.locations, strict=False):
        rule, why = _RULES.get(kind, ("AVRO-INCOMPATIBLE", "the schemas do not resolve"))
        path = "$" + "".join(f".{p}" for p in str(location).strip("/").split("/") if p)
        found.append(Violation(rule, path, f"{why} ({message}); {who} cannot decode these records"))
    return found


def defaults(document: Any) -> list[Violation]:
    """Fields whose default does not match their type (or the first branch of their union)."""
    found: list[Violation] = []
    _walk(document, "$", found)
    return found


def _walk(node: Any, path: str, found: list[Violation]) -> None:
    if isinstance(node, list):
        for branch in node:
            _walk(branch, path, found)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "record":
        for field in node.get("fields", []):
            field_path = f"{path}.{field.get('name')}"
            if "default" in field:
                _check_default(field["type"], field["default"], field_path, found)
            _walk(field.get("type"), field_path, found)
    elif node.get("type") == "array":
        _walk(node.get("items"), path + "[]", found)
    elif node.get("type") == "map":
        _walk(node.get("values"), path + "{}", found)


def _check_default(kind: Any, default: Any, path: str, found: list[Violation]) -> None:
    if isinstance(kind, list):
        if not kind or not _matches(kind[0], default):
            found.append(Violation("AVRO-UNION-DEFAULT-NOT-FIRST", path,
                                   f"the default {json.dumps(default)} does not match the union's first branch "
                                   f"{json.dumps(kind[0]) if kind else '(none)'}; readers filling it in fail"))
    elif not _matches(kind, default):
        found.append(Violation("AVRO-DEFAULT-TYPE-MISMATCH", path,
                               f"the default {json.dumps(default)} does not match the type {json.dumps(kind)}; "
                               "readers filling it in fail"))


def _matches(kind: Any, value: Any) -> bool:
    name = kind.get("type") if isinstance(kind, dict) else kind
    if isinstance(kind, dict) and kind.get("logicalType") and name in ("int", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    checks = {
        "null": lambda v: v is None, "boolean": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and -2**31 <= v < 2**31,
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "double": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str), "bytes": lambda v: isinstance(v, str),
        "array": lambda v: isinstance(v, list), "map": lambda v: isinstance(v, dict),
        "record": lambda v: isinstance(v, dict),
    }
    if name == "enum" and isinstance(kind, dict):
        return value in kind.get("symbols", [])
    if name == "fixed" and isinstance(kind, dict):
        return isinstance(value, str) and len(value) == kind.get("size")
    check = checks.get(str(name))
    return True if check is None else bool(check(value))
