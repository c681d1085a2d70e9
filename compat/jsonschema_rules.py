"""JSON Schema compatibility by rules: is every document valid under the writer's schema valid under the
reader's? Each finding says where in both schemas and where in a document the difference shows, so a
counter-example can be built there and verified.

BACKWARD compares (writer = old, reader = new); FORWARD the reverse. Analysed: type, enum/const, numeric
bounds and multipleOf, string/array/object length bounds, pattern, required, properties,
additionalProperties (open and closed content models), items/prefixItems (and draft-07 array items),
uniqueItems, anyOf/oneOf/allOf, boolean schemas and local ``$ref`` (recursive ones too). A writer with a
finite set of values (enum/const) is checked value by value with the real validator. Any other constraint
keyword that the reader adds or changes is reported as JSON-KEYWORD-CHANGED: never silently passed.
``format`` is an annotation in draft 2019-09/2020-12 and is not compared.
"""

from __future__ import annotations

import json
import math
from typing import Any

from jsonschema import validators

from compat.finding import Finding, Probe
from compat.locate import Token

ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "string", "integer"})
EXTRA_NAME = "x_sigma_extra"
"""A property name no schema here lists: where a counter-example puts a value the old model allowed."""

_UNANALYSED = ("not", "if", "then", "else", "dependentRequired", "dependentSchemas", "dependencies",
               "patternProperties", "propertyNames", "contains", "minContains", "maxContains",
               "unevaluatedProperties", "unevaluatedItems", "$dynamicRef", "$recursiveRef")
_NOT_MERGED = frozenset({"$ref", "$defs", "definitions", "$schema", "$id", "$comment", "title", "description",
                         "examples", "default"})
"""Siblings of ``$ref`` that do not constrain a value: following the reference ignores them."""
_LENGTHS = (("minLength", "maxLength", "string"), ("minItems", "maxItems", "array"),
            ("minProperties", "maxProperties", "object"))


def findings(writer: Any, reader: Any, *, local: tuple[bool, bool] | None = None) -> list[Finding]:
    """Every rule hit for reading documents valid under ``writer`` with ``reader``.

    ``local``: whether every ``$ref`` of writer and reader points into its definitions
    (``refs_into_definitions``), when the caller has it memoised; computed here otherwise.
    """
    walker = _Walker(writer, reader)
    if local is None:
        local = (refs_into_definitions(writer), refs_into_definitions(reader))
    walker.same_references = all(local) and isinstance(writer, dict) and isinstance(reader, dict) and (
        writer.get("$defs") == reader.get("$defs") and writer.get("definitions") == reader.get("definitions"))
    walker.walk(writer, reader, (), (), ())
    return walker.found


class _Walker:
    def __init__(self, writer_root: Any, reader_root: Any) -> None:
        self.writer_root, self.reader_root = writer_root, reader_root
        self.found: list[Finding] = []
        self.active: set[tuple[int, int]] = set()
        self.same_references = False
        """True when every $ref of both schemas points into equal $defs: equal subtrees then mean the same."""
        self._reader_validator: Any = None

    def trial(self) -> _Walker:
        """A walker that collects into its own list (to try one combinator branch against another)."""
        other = _Walker(self.writer_root, self.reader_root)
        other.active = set(self.active)
        other.same_references = self.same_references
        other._reader_validator = self._reader_validator
        return other

    def add(self, kind: str, wp: tuple[Token, ...], rp: tuple[Token, ...], probe: Probe, **facts: Any) -> None:
        self.found.append(Finding(kind, wp, rp, facts, probe))

    def reader_accepts(self, schema: Any, value: Any) -> bool:
        if self._reader_validator is None:
            cls = validators.validator_for(self.reader_root, default=validators.Draft202012Validator)
            self._reader_validator = cls(self.reader_root)
        return bool(self._reader_validator.evolve(schema=schema).is_valid(value))

    def walk(self, w: Any, r: Any, wp: tuple[Token, ...], rp: tuple[Token, ...], where: tuple[Token, ...]) -> None:
        if self.same_references and w == r:  # unchanged subtree: accepts exactly what it accepted
            return
        w, wp = resolve(w, wp, self.writer_root)
        r, rp = resolve(r, rp, self.reader_root)
        if r is True or r == {} or w is False:
            return
        probe = Probe(where, writer=w, reader=r)
        if r is False:
            self.add("schema-false", wp, rp, probe)
            return
        w = {} if w is True else w
        if not isinstance(w, dict) or not isinstance(r, dict):
            return
        key = (id(w), id(r))
        if key in self.active:  # a recursive $ref came back to a pair already being compared
            return
        self.active.add(key)
        try:
            self._compare(w, r, wp, rp, where, probe)
        finally:
            self.active.discard(key)

    def _compare(self, w: dict[str, Any], r: dict[str, Any], wp: tuple[Token, ...], rp: tuple[Token, ...],
                 where: tuple[Token, ...], probe: Probe) -> None:
        if "allOf" in r:
            for k, branch in enumerate(r["allOf"]):
                self.walk(w, branch, wp, (*rp, "allOf", k), where)
            r = {k: v for k, v in r.items() if k != "allOf"}
        if "allOf" in w:
            w = _merge_all_of(w, self.writer_root)
        w_opts, r_opts = _options(w, wp, self.writer_root), _options(r, rp, self.reader_root)
        if w_opts or r_opts:
            r_at = (*rp, "anyOf" if "anyOf" in r else "oneOf") if r_opts else rp
            self._combinators(w_opts or [(w, wp)], r_opts or [(r, rp)], r_at, bool(r_opts), where)
            return
        values = _finite(w)
        if values is not None:
            lost = [v for v in values if not self.reader_accepts(r, v)]
            if lost:
                at = next(((*rp, k) for k in ("enum", "const", "type") if k in r), rp)
                self.add("enum", wp, at, Probe(where, writer=w, reader=r), lost=lost, writer=values,
                         reader=_finite(r))
            return
        wt, rt = _types(w), _types(r)
        self._type(w, r, wt, rt, wp, rp, probe)
        live = wt & (rt | ({"integer"} if "number" in rt else set()))
        if "enum" in r or "const" in r:
            self.add("enum", wp, rp, probe, lost="any value", writer=None, reader=_finite(r))
        if live & {"number", "integer"}:
            self._numbers(w, r, wp, rp, probe)
        for low, high, kind in _LENGTHS:
            if kind in live:
                self._length(w, r, low, high, wp, rp, probe)
        if "string" in live and r.get("pattern") is not None and r.get("pattern") != w.get("pattern"):
            kind = "pattern-changed" if w.get("pattern") is not None else "pattern-added"
            self.add(kind, (*wp, "pattern"), (*rp, "pattern"), probe, writer=w.get("pattern"),
                     reader=r["pattern"])
        if "object" in live:
            self._object(w, r, wp, rp, where)
        if "array" in live:
            self._array(w, r, wp, rp, where)
        for keyword in _UNANALYSED:
            if keyword in r and r[keyword] != w.get(keyword):
                self.add("keyword", (*wp, keyword), (*rp, keyword), probe, keyword=keyword)

    def _combinators(self, w_opts: list[tuple[Any, tuple[Token, ...]]], r_opts: list[tuple[Any, tuple[Token, ...]]],
                     r_at: tuple[Token, ...], reader_has_options: bool, where: tuple[Token, ...]) -> None:
        for w_option, w_path in w_opts:
            tries = []
            for r_option, r_path in r_opts:
                trial = self.trial()
                trial.walk(w_option, r_option, w_path, r_path, where)
                if not trial.found:
                    break
                tries.append((r_option, trial.found))
            else:
                resolved_w = resolve(w_option, w_path, self.writer_root)[0]
                if not reader_has_options:
                    self.found.extend(tries[0][1])
                    continue
                same_type = [found for option, found in tries
                             if _types(resolve(option, (), self.reader_root)[0]) & _types(resolved_w)
                             and _types(resolved_w) != ALL_TYPES]
                if len(same_type) == 1:  # one branch of the same type: report what changed inside it
                    self.found.extend(same_type[0])
                    continue
                reader_union = {"anyOf": [option for option, _ in r_opts]}
                self.add("combinator", w_path, r_at, Probe(
                    where, writer=resolved_w, reader=reader_union), branch=_brief(resolved_w))

    def _type(self, w: dict[str, Any], r: dict[str, Any], wt: frozenset[str], rt: frozenset[str],
              wp: tuple[Token, ...], rp: tuple[Token, ...], probe: Probe) -> None:
        if "type" not in r:
            return
        lost = sorted(t for t in wt if t not in rt and not (t == "integer" and "number" in rt))
        if lost:
            self.add("type", (*wp, "type"), (*rp, "type"), probe, writer=_type_list(w), reader=_type_list(r),
                     lost=lost)

    def _numbers(self, w: dict[str, Any], r: dict[str, Any], wp: tuple[Token, ...], rp: tuple[Token, ...],
                 probe: Probe) -> None:
        for side in ("low", "high"):
            wb, rb = _bound(w, side), _bound(r, side)
            if rb is None:
                continue
            stricter = wb is None or (rb[0] > wb[0] if side == "low" else rb[0] < wb[0]) or (
                rb[0] == wb[0] and rb[1] and not wb[1])
            if stricter:
                self.add("bound", (*wp, rb[2]), (*rp, rb[2]), probe, keyword=rb[2],
                         writer=None if wb is None else wb[0], reader=rb[0])
        rm, wm = r.get("multipleOf"), w.get("multipleOf")
        if isinstance(rm, int | float) and rm > 0 and (
                not isinstance(wm, int | float) or not _is_multiple(wm, rm)):
            self.add("bound", (*wp, "multipleOf"), (*rp, "multipleOf"), probe, keyword="multipleOf",
                     writer=wm, reader=rm)

    def _length(self, w: dict[str, Any], r: dict[str, Any], low: str, high: str, wp: tuple[Token, ...],
                rp: tuple[Token, ...], probe: Probe) -> None:
        if isinstance(r.get(low), int) and r[low] > w.get(low, 0):
            self.add("bound", (*wp, low), (*rp, low), probe, keyword=low, writer=w.get(low), reader=r[low])
        if isinstance(r.get(high), int) and r[high] < w.get(high, math.inf):
            self.add("bound", (*wp, high), (*rp, high), probe, keyword=high, writer=w.get(high), reader=r[high])

    def _object(self, w: dict[str, Any], r: dict[str, Any], wp: tuple[Token, ...], rp: tuple[Token, ...],
                where: tuple[Token, ...]) -> None:
        wprops, rprops = w.get("properties", {}), r.get("properties", {})
        w_extra, r_extra = w.get("additionalProperties", True), r.get("additionalProperties", True)
        for index, name in enumerate(r.get("required", [])):
            if name in w.get("required", []):
                continue
            self.add("required", (*wp, "required"), (*rp, "required", index),
                     Probe(where, action="omit", name=name, writer=w, reader=r), property=name)
        for name in [n for n in wprops if n in rprops]:
            self.walk(wprops[name], rprops[name], (*wp, "properties", name), (*rp, "properties", name),
                      (*where, name))
        for name in [n for n in rprops if n not in wprops]:
            if w_extra is False:
                continue
            if _anything(w_extra, self.writer_root):
                trial = self.trial()
                trial.walk(True, rprops[name], (*wp, "additionalProperties"), (*rp, "properties", name),
                           (*where, name))
                if trial.found:
                    self.add("property-open", (*wp, "properties"), (*rp, "properties", name),
                             Probe((*where, name), writer=True, reader=resolve(rprops[name], (), self.reader_root)[0]),
                             property=name)
            else:
                self.walk(w_extra, rprops[name], (*wp, "additionalProperties"), (*rp, "properties", name),
                          (*where, name))
        for name in [n for n in wprops if n not in rprops]:
            if r_extra is False:
                self.add("property-closed", (*wp, "properties", name), (*rp, "properties"),
                         Probe((*where, name), writer=resolve(wprops[name], (), self.writer_root)[0], reader=False),
                         property=name)
            elif not _anything(r_extra, self.reader_root):
                self.walk(wprops[name], r_extra, (*wp, "properties", name), (*rp, "additionalProperties"),
                          (*where, name))
        if w_extra is False:
            return
        if r_extra is False:
            self.add("additional-closed", (*wp, "additionalProperties"), (*rp, "additionalProperties"),
                     Probe((*where, EXTRA_NAME), writer=w_extra, reader=False))
        elif not _anything(r_extra, self.reader_root):
            self.walk(w_extra, r_extra, (*wp, "additionalProperties"), (*rp, "additionalProperties"),
                      (*where, EXTRA_NAME))

    def _array(self, w: dict[str, Any], r: dict[str, Any], wp: tuple[Token, ...], rp: tuple[Token, ...],
               where: tuple[Token, ...]) -> None:
        (w_prefix, wpk, w_rest, wrk), (r_prefix, rpk, r_rest, rrk) = _items(w), _items(r)
        for k in range(max(len(w_prefix), len(r_prefix)) + 1):
            last = k == max(len(w_prefix), len(r_prefix))
            w_item, w_path = (w_prefix[k], (*wp, wpk, k)) if k < len(w_prefix) else (w_rest, (*wp, wrk))
            r_item, r_path = (r_prefix[k], (*rp, rpk, k)) if k < len(r_prefix) else (r_rest, (*rp, rrk))
            if w_item is False:
                break
            if r_item is False:
                self.add("items-closed", w_path, r_path, Probe((*where, k), writer=w_item, reader=False), index=k)
            elif not last or not _anything(r_item, self.reader_root):
                self.walk(w_item, r_item, w_path, r_path, (*where, k))
        if r.get("uniqueItems") is True and w.get("uniqueItems") is not True:
            self.add("unique-items", (*wp, "uniqueItems"), (*rp, "uniqueItems"),
                     Probe(where, writer=w, reader={"uniqueItems": True}))


def refs_into_definitions(schema: Any) -> bool:
    """Does every ``$ref`` point into ``$defs``/``definitions``? Then, with equal definitions, equal subtrees
    of two schemas mean the same (a reference elsewhere, e.g. ``#``, depends on the rest of the document)."""
    return _refs_into_definitions(schema, schema.get("$id", "") if isinstance(schema, dict) else "")


def _refs_into_definitions(node: Any, base: str) -> bool:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None and not (isinstance(ref, str) and ref.removeprefix(base).startswith(
                ("#/$defs/", "#/definitions/"))):
            return False
        return all(_refs_into_definitions(value, base) for value in node.values())
    if isinstance(node, list):
        return all(_refs_into_definitions(value, base) for value in node)
    return True


def resolve(node: Any, path: tuple[Token, ...], root: Any) -> tuple[Any, tuple[Token, ...]]:
    """Follow local ``$ref`` (``#/…``, or the root's own ``$id`` + ``#/…``); siblings of ``$ref`` are kept."""
    base = root.get("$id", "") if isinstance(root, dict) else ""
    for _ in range(64):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node, path
        ref = node["$ref"]
        if base and ref.startswith(base + "#"):
            ref = ref[len(base):]
        if not ref.startswith("#"):
            return node, path
        target: Any = root
        target_path: tuple[Token, ...] = ()
        for raw in [p for p in ref[1:].split("/") if p]:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target, target_path = target[int(part)], (*target_path, int(part))
            elif isinstance(target, dict) and part in target:
                target, target_path = target[part], (*target_path, part)
            else:
                return node, path
        extra = {k: v for k, v in node.items() if k not in _NOT_MERGED}
        node = {**target, **extra} if extra and isinstance(target, dict) else target
        path = target_path
    return node, path


def _merge_all_of(node: dict[str, Any], root: Any) -> dict[str, Any]:
    """A writer's allOf folded into one schema (documents satisfy every branch; bounds: the tighter)."""
    merged = {k: v for k, v in node.items() if k != "allOf"}
    for branch in node["allOf"]:
        part = resolve(branch, (), root)[0]
        if not isinstance(part, dict):
            continue
        for key, value in part.items():
            if key == "required":
                merged["required"] = sorted(set(merged.get("required", [])) | set(value))
            elif key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key not in merged:
                merged[key] = value
    return merged


def _options(node: dict[str, Any], path: tuple[Token, ...], root: Any) -> list[tuple[Any, tuple[Token, ...]]]:
    """The branches of an anyOf/oneOf, each merged with the node's other keywords."""
    for key in ("anyOf", "oneOf"):
        if key in node:
            rest = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
            out = []
            for i, branch in enumerate(node[key]):
                resolved, branch_path = resolve(branch, (*path, key, i), root)
                merged = {**rest, **resolved} if isinstance(resolved, dict) and rest else resolved
                out.append((merged, branch_path))
            return out
    return []


def _finite(node: Any) -> list[Any] | None:
    if isinstance(node, dict):
        if "const" in node:
            return [node["const"]]
        if isinstance(node.get("enum"), list):
            return list(node["enum"])
    return None


def _types(node: Any) -> frozenset[str]:
    if not isinstance(node, dict) or "type" not in node:
        return ALL_TYPES if node is not False else frozenset()
    declared = node["type"]
    types = {declared} if isinstance(declared, str) else set(declared)
    if "number" in types:
        types.add("integer")
    return frozenset(types)


def _type_list(node: dict[str, Any]) -> list[str]:
    declared = node.get("type")
    if declared is None:
        return ["any"]
    return [declared] if isinstance(declared, str) else list(declared)


def _bound(node: dict[str, Any], side: str) -> tuple[float, bool, str] | None:
    """(value, exclusive, keyword) of the effective lower or upper bound (draft-04 boolean form included)."""
    plain, exclusive = ("minimum", "exclusiveMinimum") if side == "low" else ("maximum", "exclusiveMaximum")
    found: list[tuple[float, bool, str]] = []
    if isinstance(node.get(plain), int | float) and not isinstance(node.get(plain), bool):
        found.append((node[plain], node.get(exclusive) is True, plain))
    if isinstance(node.get(exclusive), int | float) and not isinstance(node.get(exclusive), bool):
        found.append((node[exclusive], True, exclusive))
    if not found:
        return None
    pick = max if side == "low" else min
    return pick(found, key=lambda b: (b[0], b[1]) if side == "low" else (b[0], not b[1]))


def _is_multiple(value: float, divisor: float) -> bool:
    quotient = value / divisor
    return math.isclose(quotient, round(quotient), rel_tol=0, abs_tol=1e-9)


def _items(node: dict[str, Any]) -> tuple[list[Any], str, Any, str]:
    """(prefix item schemas, their keyword, schema of the rest, its keyword), drafts 2020-12 and 7 alike."""
    if isinstance(node.get("items"), list):
        return node["items"], "items", node.get("additionalItems", True), "additionalItems"
    return node.get("prefixItems", []), "prefixItems", node.get("items", True), "items"


def _anything(node: Any, root: Any) -> bool:
    resolved = resolve(node, (), root)[0]
    return resolved is True or resolved == {} or (
        isinstance(resolved, dict) and set(resolved) <= {"title", "description", "$comment", "examples", "default"})


def _brief(node: Any) -> str:
    if isinstance(node, dict):
        if "type" in node:
            return f"type {json.dumps(node['type'])}"
        if "enum" in node or "const" in node:
            return f"values {json.dumps(_finite(node))}"
    return json.dumps(node)[:80]


def describe(finding: Finding, direction: str) -> str:
    """What changed, in old/new terms (``backward``: writer = old, reader = new)."""
    f = finding.facts
    old, new = ("writer", "reader") if direction == "backward" else ("reader", "writer")
    before, after = f.get(old), f.get(new)
    if finding.kind == "type":
        lost = " and ".join(f["lost"])
        if direction == "backward":
            return f"{lost} values are no longer accepted (type {before} → {after})"
        return f"{lost} values are now allowed, but the old schema rejects them (type {before} → {after})"
    if finding.kind == "enum":
        if f["lost"] == "any value":
            if direction == "backward":
                return f"values are now limited to {json.dumps(f['reader'])} (any value of the type was allowed)"
            return f"the new schema lifts the old limit to {json.dumps(f['reader'])}"
        lost = json.dumps(f["lost"])[1:-1]
        if direction == "backward":
            return f"value(s) {lost} are no longer allowed (values {json.dumps(before)} → {json.dumps(after)})"
        return f"value(s) {lost} are now allowed, but the old schema rejects them " \
               f"(values {json.dumps(before)} → {json.dumps(after)})"
    if finding.kind == "bound":
        return f"{f['keyword']} changed from {'none' if before is None else before} to " \
               f"{'none' if after is None else after}"
    if finding.kind in ("pattern-added", "pattern-changed"):
        return f"pattern changed from {json.dumps(before)} to {json.dumps(after)}"
    if finding.kind == "required":
        verb = "became required" if direction == "backward" else "is no longer required"
        return f"property {f['property']!r} {verb}"
    if finding.kind == "additional-closed":
        return ("additionalProperties changed from open to false" if direction == "backward"
                else "additionalProperties changed from false to open")
    if finding.kind == "property-closed":
        verb = "was removed from" if direction == "backward" else "was added to"
        return f"property {f['property']!r} {verb} an object with additionalProperties false"
    if finding.kind == "property-open":
        if direction == "backward":
            return (f"property {f['property']!r} was added with constraints, but the old open content model "
                    "accepted any value under that name")
        return (f"property {f['property']!r} was removed, so the new open content model accepts any value under "
                "that name; the old schema constrained it")
    if finding.kind == "items-closed":
        return f"array item {f['index']} " + ("is no longer allowed" if direction == "backward" else "is now allowed")
    if finding.kind == "unique-items":
        return "uniqueItems " + ("added" if direction == "backward" else "removed")
    if finding.kind == "schema-false":
        return "schema changed to false" if direction == "backward" else "schema changed from false"
    if finding.kind == "combinator":
        return f"a branch ({f['branch']}) of the {'old' if direction == 'backward' else 'new'} schema fits no " \
               f"branch of the {'new' if direction == 'backward' else 'old'} schema's anyOf/oneOf"
    return f"keyword {f['keyword']!r} changed (not analysed by the rules)"
