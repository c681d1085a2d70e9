"""Counter-examples: a document valid under the writer's schema that the reader's schema rejects.

Built from a minimal valid document of the writer's schema, changed at the finding's document path with
candidate values for its rule, and shown only when a real validator (``jsonschema``) confirms both halves.
"""

from __future__ import annotations

import copy
import re._parser as sre  # the standard library's own regex parser, to build strings matching a pattern
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator

from schemas.compat.jsonschema_rules import Finding

_MISSING = object()


def _resolve(node: Any, root: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target = root
        for part in node["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
    return node


def _pattern_example(pattern: str) -> str | None:
    try:
        parsed = sre.parse(pattern)
    except Exception:  # an exotic pattern: no example, the caller tries other candidates
        return None
    return _emit(list(parsed))


def _emit(items: list[Any]) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "IN":
            out.append(_class_char(arg))
        elif name == "ANY":
            out.append("a")
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, _high, sub = arg
            out.append(_emit(list(sub)) * max(low, 1 if low == 0 else low))
        elif name == "SUBPATTERN":
            out.append(_emit(list(arg[-1])))
        elif name == "BRANCH":
            out.append(_emit(list(arg[1][0])))
    return "".join(out)


def _class_char(items: list[Any]) -> str:
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return "0" if "DIGIT" in str(arg) else "a"
    return "a"


def example(schema: Any, root: Any, depth: int = 0) -> Any:
    """A small document valid under ``schema`` (best effort; callers verify)."""
    node = _resolve(schema, root)
    if depth > 12 or node is True or node == {}:
        return "x"
    if not isinstance(node, dict):
        return None
    if "const" in node:
        return node["const"]
    if node.get("enum"):
        return node["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in node:
            options = [_resolve(o, root) for o in node[key]]
            real = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return example((real or options)[0], root, depth + 1)
    kinds = node.get("type", "object" if "properties" in node else "string")
    kind = next((k for k in kinds if k != "null"), "null") if isinstance(kinds, list) else kinds
    if kind == "object":
        props = node.get("properties", {})
        return {name: example(props.get(name, {}), root, depth + 1) for name in node.get("required", [])}
    if kind == "array":
        return [example(node.get("items", {}), root, depth + 1) for _ in range(node.get("minItems", 0))]
    if kind == "integer":
        return int(max(node.get("minimum", 0), node.get("exclusiveMinimum", -1) + 1))
    if kind == "number":
        return float(max(node.get("minimum", 0), node.get("exclusiveMinimum", -1) + 1))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if node.get("format") == "date-time":
        return "2024-01-01T00:00:00Z"
    if node.get("format") == "date":
        return "2024-01-01"
    if node.get("pattern"):
        found = _pattern_example(node["pattern"])
        if found is not None:
            return found
    return "x" * max(node.get("minLength", 1), 1)


def _candidates(finding: Finding, base_value: Any) -> Iterator[Any]:
    hint = finding.hint if isinstance(finding.hint, dict) else {}
    if finding.rule == "JSON-REQUIRED-ADDED":
        yield _MISSING
        return
    if finding.rule == "JSON-ENUM-NARROWED":
        yield from hint.get("values", [])
    if finding.rule == "JSON-TYPE-NARROWED":
        samples = {"string": "text", "integer": 7, "number": 1.5, "boolean": True, "null": None, "object": {},
                   "array": []}
        yield from (samples[t] for t in hint.get("types", []) if t in samples)
    if finding.rule == "JSON-BOUND-TIGHTENED":
        for key, bound in hint.items():
            if key == "old":
                continue
            old = hint.get("old")
            if key in ("minimum", "exclusiveMinimum"):
                yield old if old is not None else bound - 1
                yield bound - 1
            elif key in ("maximum", "exclusiveMaximum"):
                yield old if old is not None else bound + 1
                yield bound + 1
            elif key == "minLength":
                yield "a" * (old or 0)
                yield "a" * max(bound - 1, 0)
            elif key == "maxLength":
                yield "a" * (bound + 1)
            elif key == "minItems" and isinstance(base_value, list):
                yield base_value[: max(bound - 1, 0)]
            elif key == "maxItems":
                yield [base_value[0] if isinstance(base_value, list) and base_value else "x"] * (bound + 1)
    if finding.rule in ("JSON-PATTERN-ADDED", "JSON-PATTERN-CHANGED"):
        yield from ("", "~", "not matching !", "0", "ZZZZ", "a" * 40)
    yield from ("text", 7, -1, 1.5, True, None, {}, [], {"x": 1}, "", "a" * 300)


def _set(doc: Any, path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(doc) if isinstance(doc, list) else []
        while len(items) <= head:
            items.append(None)
        items[head] = _set(items[head], rest, value)
        return items
    obj = dict(doc) if isinstance(doc, dict) else {}
    if value is _MISSING and not rest:
        obj.pop(head, None)
        return obj
    obj[head] = _set(obj.get(head), rest, value)
    return obj


def _subschema(schema: Any, root: Any, path: tuple[str | int, ...]) -> Any:
    node = _resolve(schema, root)
    for part in path:
        if isinstance(node, dict) and ("anyOf" in node or "oneOf" in node):
            options = [_resolve(o, root) for o in node.get("anyOf") or node.get("oneOf") or []]
            node = next((o for o in options if isinstance(o, dict) and o.get("type") != "null"), {})
        if isinstance(part, int):
            node = _resolve(node.get("items", {}), root) if isinstance(node, dict) else {}
        else:
            props = node.get("properties", {}) if isinstance(node, dict) else {}
            node = _resolve(props.get(part, {}), root)
    return node


def find(writer: Any, reader: Any, finding: Finding) -> tuple[Any, bool]:
    """(counter-example, verified): verified only when valid under ``writer`` and rejected by ``reader``."""
    old, new = Draft202012Validator(writer), Draft202012Validator(reader)
    base = example(writer, writer)
    if not old.is_valid(base):
        return None, False
    prefix = finding.doc[:-1] if finding.doc else ()
    container = _subschema(writer, writer, prefix) if prefix else writer
    base = _set(base, prefix, example(container, writer)) if prefix else base
    if not old.is_valid(base):
        base = example(writer, writer)
    target = _subschema(writer, writer, finding.doc)
    for candidate in _candidates(finding, example(target, writer)):
        doc = _set(copy.deepcopy(base), finding.doc, candidate)
        if old.is_valid(doc) and not new.is_valid(doc):
            return doc, True
    return None, False
