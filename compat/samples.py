"""Values for counter-examples: a small valid document of a schema, strings matching a pattern, and candidate
values aimed just outside a reader's constraints.

Everything here is best effort on purpose: nothing generated is shown until ``counterexample`` has checked
it with a real validator, so a clever guess costs nothing and a wrong one is never seen.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Iterator
from typing import Any

from compat.jsonschema_side import count, dependencies, finite, resolve

MISSING: Any = object()
"""No value could be produced."""

_sre: Any = importlib.import_module("re._parser")  # the standard library's own regex parser
_FORMATS = {"date-time": "2024-01-01T00:00:00Z", "date": "2024-01-01", "time": "00:00:00Z",
            "email": "a@example.org", "uuid": "00000000-0000-4000-8000-000000000000",
            "uri": "https://example.org/", "ipv4": "192.0.2.1"}
_PROBE_CHARS = "a0~Z -_.!A9"


@functools.lru_cache(maxsize=4096)
def pattern_strings(pattern: str, min_length: int = 0, max_length: int | None = None) -> tuple[str, ...]:
    """Distinct strings that match ``pattern`` (search semantics, as JSON Schema) within the length bounds.

    Memoised: a transitive check meets the same patterns in every version of a subject, and expanding a
    pattern dominated the time of a catalogue full of counter-examples.
    """
    try:
        parsed = _sre.parse(pattern)
        compiled = re.compile(pattern)
    except (re.error, OverflowError, RecursionError):
        return ()
    found: list[str] = []
    for reps in (0, 1, 2, 3):
        for pick in (0, 1, 2):
            try:
                text = _emit(list(parsed), pick, reps)
            except (ValueError, RecursionError):
                continue
            candidates = [text]
            if len(text) < min_length:
                candidates.append(text + "a" * (min_length - len(text)))
                candidates.append("a" * (min_length - len(text)) + text)
            for candidate in candidates:
                fits = len(candidate) >= min_length and (max_length is None or len(candidate) <= max_length)
                if fits and candidate not in found and compiled.search(candidate):
                    found.append(candidate)
    return tuple(found)


def _emit(items: list[Any], pick: int, reps: int) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if arg != ord("a") else "b")
        elif name == "ANY":
            out.append("a~0"[pick])
        elif name == "IN":
            out.append(_class_char(arg, pick))
        elif name == "BRANCH":
            branches = arg[1]
            out.append(_emit(list(branches[(0, -1, len(branches) // 2)[pick]]), pick, reps))
        elif name == "SUBPATTERN":
            out.append(_emit(list(arg[-1]), pick, reps))
        elif name == "ATOMIC_GROUP":
            out.append(_emit(list(arg), pick, reps))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            count = min(high, low + (0, 1, 3, 12)[reps])
            out.append("".join(_emit(list(sub), pick, reps) for _ in range(count)))
        elif name in ("AT", "ASSERT", "ASSERT_NOT", "GROUPREF", "GROUPREF_EXISTS"):
            continue
        else:
            raise ValueError(name)
    return "".join(out)


def _class_char(items: list[Any], pick: int) -> str:
    negate = any(str(op) == "NEGATE" for op, _ in items)
    if negate:
        return next((c for c in _PROBE_CHARS if not _in_class(c, items)), "\u00e9")
    choices: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            choices.append(chr(arg))
        elif name == "RANGE":
            choices.extend([chr(arg[0]), chr(arg[1]), chr((arg[0] + arg[1]) // 2)])
        elif name == "CATEGORY":
            choices.extend(next(c for c in _PROBE_CHARS + "\u00e9" if _category(c, str(arg))))
    if not choices:
        raise ValueError("empty class")
    return str(choices[(0, -1, len(choices) // 2)[pick]])


def _category(char: str, category: str) -> bool:
    tests = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_WORD": r"\w",
             "CATEGORY_NOT_WORD": r"\W", "CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S"}
    return bool(re.fullmatch(tests.get(category, r"."), char))


def _in_class(char: str, items: list[Any]) -> bool:
    for op, arg in items:
        name = str(op)
        if (name == "LITERAL" and chr(arg) == char) or (name == "RANGE" and arg[0] <= ord(char) <= arg[1]) or (
                name == "CATEGORY" and _category(char, str(arg))):
            return True
    return False


def example(schema: Any, root: Any, depth: int = 0) -> Any:
    """A small document valid under ``schema`` (best effort; ``MISSING`` when none comes to mind)."""
    node = resolve(schema, (), root)[0]
    if depth > 16 or node is False:
        return MISSING
    if node is True or not isinstance(node, dict) or not node:
        return None
    if "allOf" in node:
        from compat.jsonschema_rules import merge_all_of
        from compat.jsonschema_side import Side

        return example(merge_all_of(node, Side(root)), root, depth + 1)
    values = finite(node)
    if values is not None:
        return values[0] if values else MISSING
    for key in ("anyOf", "oneOf"):
        if key in node:
            rest = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
            for branch in node[key]:
                resolved = resolve(branch, (), root)[0]
                value = example({**rest, **resolved} if isinstance(resolved, dict) else resolved, root, depth + 1)
                if value is not MISSING:
                    return value
            return MISSING
    return _typed(node, root, depth, _first_type(node))


def _first_type(node: dict[str, Any]) -> str:
    declared = node.get("type")
    if isinstance(declared, str):
        return declared
    if isinstance(declared, list) and declared:
        return str(next((t for t in declared if t != "null"), declared[0]))
    if {"properties", "required", "additionalProperties"} & set(node):
        return "object"
    if {"items", "prefixItems", "minItems"} & set(node):
        return "array"
    if {"pattern", "minLength", "maxLength", "format"} & set(node):
        return "string"
    if {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"} & set(node):
        return "number"
    return "null"


def _typed(node: dict[str, Any], root: Any, depth: int, kind: str) -> Any:
    if kind == "object":
        props = node.get("properties", {})
        out = {}
        for name in node.get("required", []):
            value = example(props.get(name, node.get("additionalProperties", True)), root, depth + 1)
            if value is MISSING:
                return MISSING
            out[name] = value
        return out
    if kind == "array":
        prefix = node.get("prefixItems", []) if not isinstance(node.get("items"), list) else node["items"]
        rest = node.get("items", True) if not isinstance(node.get("items"), list) else True
        items = []
        for k in range(max(count(node, "minItems") or 0, 0)):
            value = example(prefix[k] if k < len(prefix) else rest, root, depth + 1)
            if value is MISSING:
                return MISSING
            items.append(value)
        return items
    if kind in ("integer", "number"):
        return _number(node, kind == "integer")
    if kind == "string":
        return next(iter(strings(node)), MISSING)
    return {"boolean": False, "null": None}.get(kind, MISSING)


def _number(node: dict[str, Any], integer: bool) -> Any:
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    value = low if isinstance(low, int | float) and not isinstance(low, bool) else (
        min(0, high) if isinstance(high, int | float) and not isinstance(high, bool) else 0)
    if isinstance(node.get("exclusiveMinimum"), int | float) and value == node["exclusiveMinimum"]:
        value += 1
    step = node.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        value = (int(value // step) + 1) * step if value % step else value
    return int(value) if integer and float(value).is_integer() else value


def strings(node: dict[str, Any]) -> list[str]:
    """Strings valid for ``node``'s string keywords (pattern, lengths, a few formats)."""
    low, high = count(node, "minLength") or 0, count(node, "maxLength")
    if isinstance(node.get("pattern"), str):
        return list(pattern_strings(node["pattern"], low, high))
    if node.get("format") in _FORMATS:
        return [_FORMATS[node["format"]]]
    return [c * n for n in dict.fromkeys([low, max(low, 1), high or low]) for c in "a0"
            if high is None or n <= high]


def candidates(writer: Any, reader: Any, root: Any) -> Iterator[Any]:
    """Values to try at a probe: just outside the reader's constraints first, then the writer's own values."""
    w = resolve(writer, (), root)[0]
    r = reader if isinstance(reader, dict | bool) else True
    w = w if isinstance(w, dict) else {}
    yield from finite(w) or []
    if isinstance(r, dict):
        yield from _outside(w, r, root)
    for kind in sorted(_kinds(w)):
        yield from _typical(w, kind, root)
    value = example(w, root)
    if value is not MISSING:
        yield value
    yield from (None, False, 0, -1, 0.5, "", "x", [], {}, [None], {"x": None})


def _kinds(node: dict[str, Any]) -> set[str]:
    declared = node.get("type")
    if declared is None:
        return {"null", "boolean", "integer", "number", "string", "array", "object"}
    return {declared} if isinstance(declared, str) else set(declared)


def _outside(w: dict[str, Any], r: dict[str, Any], root: Any) -> Iterator[Any]:
    for key in ("minimum", "exclusiveMinimum"):
        if isinstance(r.get(key), int | float) and not isinstance(r.get(key), bool):
            yield from (r[key] - 1, r[key] - 0.5, r[key])
    for key in ("maximum", "exclusiveMaximum"):
        if isinstance(r.get(key), int | float) and not isinstance(r.get(key), bool):
            yield from (r[key] + 1, r[key] + 0.5, r[key])
    if isinstance(r.get("multipleOf"), int | float):
        step = r["multipleOf"]
        yield from (step / 2, step + 1, (w.get("multipleOf") or 1), 1, 0.5)
    texts = strings(w) if "string" in _kinds(w) else []
    texts = strings(w) if "string" in _kinds(w) else []
    longest, shortest = count(r, "maxLength"), count(r, "minLength")
    if longest is not None:
        yield from (t for t in texts if len(t) > longest)
        yield from ("a" * (longest + 1), "0" * (longest + 1))
    if shortest is not None:
        yield from (t for t in texts if len(t) < shortest)
        yield from ("a" * max(shortest - 1, 0), "")
    if isinstance(r.get("pattern"), str):
        yield from texts
        length = max(count(w, "minLength") or 0, 1)
        yield from ("", *(c * length for c in _PROBE_CHARS))
    most, least = count(r, "maxItems"), count(r, "minItems")
    if r.get("uniqueItems") is True or most is not None or least is not None:
        item = example(w.get("items", True), root) if not isinstance(w.get("items"), list) else None
        item = None if item is MISSING else item
        if r.get("uniqueItems") is True:
            yield [item, item]
        if most is not None:
            yield [item] * (most + 1)
        if least is not None:
            yield [item] * max(least - 1, 0)
    most = count(r, "maxProperties")
    if most is not None or count(r, "minProperties") is not None:
        yield {f"p{i}": None for i in range(-1 if most is None else most + 1)}
        yield {}
    for kind, value in (("null", None), ("boolean", True), ("integer", 7), ("number", 1.5), ("string", "text"),
                        ("array", []), ("object", {})):
        if kind not in _kinds(r) or "type" not in r:
            yield value
    for keyword in ("not", "if"):  # values the subschema accepts: rejected by a not, sent to then by an if
        if keyword in r:
            yield from _values_of(w, r[keyword], root)
    if "object" in _kinds(w):
        yield from _dependents(w, r, root)


def _values_of(w: dict[str, Any], sub: Any, root: Any) -> Iterator[Any]:
    """Values of a reader's subschema of the writer's kinds (``root`` is the writer's: best effort)."""
    yield from finite(sub) or []
    value = example(sub, root)
    if value is not MISSING:
        yield value
    if isinstance(sub, dict):
        for kind in sorted(_kinds(sub) & _kinds(w)):
            yield from _typical(sub, kind, root)


def _dependents(w: dict[str, Any], r: dict[str, Any], root: Any) -> Iterator[Any]:
    """Objects of the writer that have a property the reader's dependencies are about, without what it needs."""
    needs, schemas = dependencies(r)
    if not needs and not schemas:
        return
    base = example({**w, "type": "object"}, root)
    base = base if isinstance(base, dict) else {}
    properties = w.get("properties", {})
    for name in [*needs, *schemas]:
        for value in (example(properties.get(name, w.get("additionalProperties", True)), root), None):
            doc = {**base, name: None if value is MISSING else value}
            for gone in needs.get(name, ([], ""))[0]:
                doc.pop(gone, None)
            yield doc


def _typical(w: dict[str, Any], kind: str, root: Any) -> Iterator[Any]:
    if kind == "string":
        yield from strings(w)
    elif kind in ("integer", "number"):
        yield _number(w, kind == "integer")
        if isinstance(w.get("maximum"), int | float):
            yield w["maximum"]
    elif kind == "boolean":
        yield from (False, True)
    elif kind == "null":
        yield None
    elif kind == "array":
        value = example({**w, "type": "array"}, root)
        if isinstance(value, list):
            yield value
            item = example(w.get("items", True), root) if not isinstance(w.get("items"), list) else MISSING
            if item is not MISSING:
                yield [*value, item]
    elif kind == "object":
        value = example({**w, "type": "object"}, root)
        if value is not MISSING:
            yield value


def key(value: Any) -> str:
    """A hashable identity for de-duplicating candidate values (``True`` and ``1`` stay distinct)."""
    return json.dumps(value, sort_keys=True, default=str) + type(value).__name__
