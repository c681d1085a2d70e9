"""JSON Schema compatibility by rules: is every document valid under the writer's schema valid under the
reader's? Each finding says where in both schemas and where in a document the difference shows, so a
counter-example can be built there and verified.

BACKWARD compares (writer = old, reader = new); FORWARD the reverse. Each side is read under its own draft
(``jsonschema_side``): tuple ``items`` with ``additionalItems`` or ``prefixItems``, ``dependencies`` or
``dependentRequired``/``dependentSchemas``, ``$ref`` with or without its siblings, and keywords the draft
does not know are ignored as its validator ignores them. Judged by what the subschemas accept, not by their
text: a writer subschema that accepts nothing (``false``, crossed bounds, a required property that can have
no value, an anyOf whose branches all accept nothing…) has nothing to lose; a reader's ``not`` rejects no
writer document when the two share no value (by type, by value, by a discriminating property) or when the
writer's own ``not`` already excluded at least as much; a dependency is met when the writer requires the
property anyway or never has the trigger; a reader ``oneOf`` must match a writer document once only.
Analysed besides: type, enum/const, numeric bounds and multipleOf, string/array/object length bounds,
pattern, required, properties, additionalProperties, uniqueItems, allOf, boolean schemas and local ``$ref``
(recursive ones too). A writer with a finite set of values is checked value by value with the real
validator. Any other constraint keyword that the reader adds or changes is a ``keyword`` finding: never
silently passed. ``format`` is not compared (an annotation from 2019-09 on, and unchecked by default
before).
"""

from __future__ import annotations

import json
import math
from typing import Any

from compat.finding import Finding, Probe
from compat.jsonschema_side import ALL_TYPES, Side, bound, count, dependencies, finite, items, types
from compat.locate import Token

EXTRA_NAME = "x_sigma_extra"
"""A property name no schema here lists: where a counter-example puts a value the old model allowed."""

_UNANALYSED = ("if", "then", "else", "patternProperties", "propertyNames", "contains", "minContains",
               "maxContains", "unevaluatedProperties", "unevaluatedItems", "$dynamicRef", "$recursiveRef")
_UNANALYSED_SET = frozenset(_UNANALYSED)
_DEPENDENCY_KEYWORDS = frozenset({"dependencies", "dependentRequired", "dependentSchemas"})
_LENGTHS = (("minLength", "maxLength", "string"), ("minItems", "maxItems", "array"),
            ("minProperties", "maxProperties", "object"))
Path = tuple[Token, ...]


def findings(writer: Side, reader: Side) -> list[Finding]:
    """Every rule hit for reading documents valid under ``writer`` with ``reader`` (each read under the
    draft its ``$schema`` names; ``load`` has set it). A ``Side`` memoises what it learns about its
    subschemas, so callers keep one per schema across comparisons."""
    walker = _Walker(writer, reader)
    w_root, r_root = writer.root, reader.root
    walker.same_references = writer.local and reader.local and isinstance(w_root, dict) and isinstance(
        r_root, dict) and writer.draft == reader.draft and all(
            writer.same(w_root.get(key), reader, r_root.get(key)) for key in ("$defs", "definitions"))
    walker.walk(w_root, r_root, (), (), ())
    return walker.found


class _Walker:
    def __init__(self, writer: Side, reader: Side) -> None:
        self.w, self.r = writer, reader
        self.found: list[Finding] = []
        self.active: set[tuple[Any, ...]] = set()
        self.same_references = False
        """True when every $ref of both schemas points into equal $defs under one draft: equal subtrees
        then mean the same."""

    def trial(self, *, swap: bool = False) -> _Walker:
        """A walker that collects into its own list (to try one branch against another); ``swap``: with
        the reader's schema as the writer (to ask whether a reader subschema fits in a writer one)."""
        other = _Walker(self.r, self.w) if swap else _Walker(self.w, self.r)
        other.active = set() if swap else set(self.active)
        other.same_references = self.same_references
        return other

    def add(self, kind: str, wp: Path, rp: Path, probe: Probe, **facts: Any) -> None:
        self.found.append(Finding(kind, wp, rp, facts, probe))

    def walk(self, w: Any, r: Any, wp: Path, rp: Path, where: Path) -> None:
        if self.same_references and self.w.same(w, self.r, r):  # unchanged subtree
            return
        w, wp = self.w.resolve(w, wp)
        r, rp = self.r.resolve(r, rp)
        w, r = self.w.known(w), self.r.known(r)
        if r is True or r == {} or self.w.empty(w):
            return
        probe = Probe(where, writer=w, reader=r)
        if r is False or (isinstance(r, dict) and "not" in r and self.r.anything(r["not"])):
            self.add("schema-false", wp, rp, probe)  # (other empty readers: the rule that empties them reports)
            return
        w = {} if w is True else w
        if not isinstance(w, dict) or not isinstance(r, dict):
            return
        keys = ((id(w), id(r)), (wp, rp, where))
        if any(key in self.active for key in keys):  # a recursive $ref came back to a pair being compared
            return  # (by identity; by place for the new object a $ref with siblings becomes each time)
        self.active.update(keys)
        try:
            self._compare(w, r, wp, rp, where, probe)
        finally:
            self.active.difference_update(keys)

    def _compare(self, w: dict[str, Any], r: dict[str, Any], wp: Path, rp: Path, where: Path, probe: Probe) -> None:
        values = finite(w) if "allOf" not in w else finite(merge_all_of(w, self.w))
        if values is not None:  # a finite writer: each value it accepts is judged by the reader's validator
            lost = [v for v in values if self.w.accepts(w, v) and not self.r.accepts(r, v)]
            if lost:
                at = next(((*rp, k) for k in ("enum", "const", "type") if k in r), rp)
                self.add("enum", wp, at, Probe(where, writer=w, reader=r), lost=lost, writer=values,
                         reader=finite(r))
            return
        if "not" in r:  # a conjunct of the reader: judged against the whole writer, before it is taken apart
            if not (self.same_references and same(r["not"], w.get("not"))) and not self._excludes(w, r["not"]):
                self.add("not", (*wp, "not") if "not" in w else wp, (*rp, "not"), probe)
            r = {k: v for k, v in r.items() if k != "not"}
        if "$ref" in r and not same(r, w):  # a reference the rules cannot follow (not local): never passed unexamined
            self.add("keyword", (*wp, "$ref") if "$ref" in w else wp, (*rp, "$ref"), probe, keyword="$ref")
        if "allOf" in r:
            for k, branch in enumerate(r["allOf"]):
                self.walk(w, branch, wp, (*rp, "allOf", k), where)
            r = {k: v for k, v in r.items() if k != "allOf"}
        if "allOf" in w:
            w = merge_all_of(w, self.w)
        w_opts, r_opts = _options(w, wp, self.w), _options(r, rp, self.r)
        if r_opts and not w_opts and isinstance(w.get("type"), list) and len(w["type"]) > 1:
            w_opts = [({**w, "type": kind}, wp) for kind in w["type"]]  # a type list is a union: one per type
        if w_opts or r_opts:
            r_key = "anyOf" if "anyOf" in r else "oneOf"
            self._combinators(w_opts or [(w, wp)], r_opts or [(r, rp)], (*rp, r_key) if r_opts else rp,
                              r_key if r_opts else "", where)
            return
        wt, rt = self.w.live_types(w), types(r)
        self._type(w, r, wt, rt, wp, rp, probe)
        live = wt & (rt | ({"integer"} if "number" in rt else set()))
        if "enum" in r or "const" in r:
            self.add("enum", wp, rp, probe, lost="any value", writer=None, reader=finite(r))
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
            self._dependencies(w, r, wp, rp, where)
        if "array" in live:
            self._array(w, r, wp, rp, where)
        for keyword in [] if _UNANALYSED_SET.isdisjoint(r) else _UNANALYSED:
            if keyword in r and not same(r[keyword], w.get(keyword)):
                self.add("keyword", (*wp, keyword), (*rp, keyword), probe, keyword=keyword)

    def _excludes(self, w: dict[str, Any], excluded: Any) -> bool:
        """Does the reader's ``not: excluded`` reject no document of ``w``? Yes when they share no value, or
        when ``w``'s own ``not`` already excludes everything ``excluded`` accepts."""
        if self.w.disjoint(w, self.r, excluded):
            return True
        if "not" not in w:
            return False
        trial = self.trial(swap=True)  # excluded (reader's) ⊆ w's not (writer's)?
        trial.walk(excluded, w["not"], (), (), ())
        return not trial.found

    def _combinators(self, w_opts: list[tuple[Any, Path]], r_opts: list[tuple[Any, Path]], r_at: Path,
                     r_key: str, where: Path) -> None:
        for w_option, w_path in w_opts:
            if self.w.empty(self.w.read(w_option)):  # a branch that accepts nothing has nothing to lose
                continue
            tries = []
            for index, (r_option, r_path) in enumerate(r_opts):
                trial = self.trial()
                trial.walk(w_option, r_option, w_path, r_path, where)
                if not trial.found:
                    if r_key == "oneOf":
                        self._one_match(w_option, w_path, r_opts, index, r_at, where)
                    break
                tries.append((r_option, trial.found))
            else:
                resolved_w = self.w.read(w_option)
                if not r_key:
                    self.found.extend(tries[0][1])
                    continue
                sharing = [found for option, found in tries if not self.w.disjoint(resolved_w, self.r, option)]
                if len(sharing) == 1 and types(resolved_w) != ALL_TYPES:
                    self.found.extend(sharing[0])  # one branch shares values with it: report what changed there
                    continue
                reader_union = {"anyOf": [option for option, _ in r_opts]}
                self.add("combinator", w_path, r_at, Probe(
                    where, writer=resolved_w, reader=reader_union), branch=_brief(resolved_w))

    def _one_match(self, w_option: Any, w_path: Path, r_opts: list[tuple[Any, Path]], index: int, r_at: Path,
                   where: Path) -> None:
        """A reader oneOf rejects a document that two branches accept: the writer's branch, which fits
        branch ``index``, must share no value with any other."""
        resolved_w = self.w.read(w_option)
        for other, (r_option, _) in enumerate(r_opts):
            if other != index and not self.w.disjoint(resolved_w, self.r, r_option):
                self.add("one-of", w_path, r_at, Probe(where, writer=resolved_w, reader={
                    "oneOf": [r_opts[index][0], r_option]}), branch=_brief(resolved_w), first=index, second=other)
                return

    def _type(self, w: dict[str, Any], r: dict[str, Any], wt: frozenset[str], rt: frozenset[str],
              wp: Path, rp: Path, probe: Probe) -> None:
        if "type" not in r:
            return
        lost = sorted(t for t in wt if t not in rt and not (t == "integer" and "number" in rt))
        if lost:
            self.add("type", (*wp, "type"), (*rp, "type"), probe, writer=_type_list(w), reader=_type_list(r),
                     lost=lost)

    def _numbers(self, w: dict[str, Any], r: dict[str, Any], wp: Path, rp: Path, probe: Probe) -> None:
        for side in ("low", "high"):
            wb, rb = bound(w, side), bound(r, side)
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

    def _length(self, w: dict[str, Any], r: dict[str, Any], low: str, high: str, wp: Path, rp: Path,
                probe: Probe) -> None:
        r_low, w_low, r_high, w_high = count(r, low), count(w, low), count(r, high), count(w, high)
        if r_low is not None and r_low > (w_low or 0):
            self.add("bound", (*wp, low), (*rp, low), probe, keyword=low, writer=w_low, reader=r_low)
        if r_high is not None and r_high < (math.inf if w_high is None else w_high):
            self.add("bound", (*wp, high), (*rp, high), probe, keyword=high, writer=w_high, reader=r_high)

    def _object(self, w: dict[str, Any], r: dict[str, Any], wp: Path, rp: Path, where: Path) -> None:
        wprops, rprops = w.get("properties", {}), r.get("properties", {})
        w_extra, r_extra = w.get("additionalProperties", True), r.get("additionalProperties", True)
        w_closed, r_closed = self.w.empty(self.w.read(w_extra)), self.r.empty(self.r.read(r_extra))
        for index, name in enumerate(r.get("required", [])):
            if name in w.get("required", []):
                continue
            self.add("required", (*wp, "required"), (*rp, "required", index),
                     Probe(where, action="omit", name=name, writer=w, reader=r), property=name)
        shared = self.w.changed(wprops, self.r, rprops) if self.same_references else [n for n in wprops if n in rprops]
        for name in shared:  # (unchanged ones skipped here as in walk: a transitive check meets many)
            self.walk(wprops[name], rprops[name], (*wp, "properties", name), (*rp, "properties", name),
                      (*where, name))
        for name in [n for n in rprops if n not in wprops]:
            if w_closed:
                continue
            if self.w.anything(w_extra):
                trial = self.trial()
                trial.walk(True, rprops[name], (*wp, "additionalProperties"), (*rp, "properties", name),
                           (*where, name))
                if trial.found:
                    self.add("property-open", (*wp, "properties"), (*rp, "properties", name),
                             Probe((*where, name), writer=True, reader=self.r.read(rprops[name])), property=name)
            else:
                self.walk(w_extra, rprops[name], (*wp, "additionalProperties"), (*rp, "properties", name),
                          (*where, name))
        for name in [n for n in wprops if n not in rprops]:
            if self.w.absent(w, name):  # the writer never has it (``false``, or a schema that accepts nothing)
                continue
            if r_closed:
                self.add("property-closed", (*wp, "properties", name), (*rp, "properties"),
                         Probe((*where, name), writer=self.w.read(wprops[name]), reader=False), property=name)
            elif not self.r.anything(r_extra):
                self.walk(wprops[name], r_extra, (*wp, "properties", name), (*rp, "additionalProperties"),
                          (*where, name))
        if w_closed:
            return
        if r_closed:
            self.add("additional-closed", (*wp, "additionalProperties"), (*rp, "additionalProperties"),
                     Probe((*where, EXTRA_NAME), writer=w_extra, reader=False))
        elif not self.r.anything(r_extra):
            self.walk(w_extra, r_extra, (*wp, "additionalProperties"), (*rp, "additionalProperties"),
                      (*where, EXTRA_NAME))

    def _dependencies(self, w: dict[str, Any], r: dict[str, Any], wp: Path, rp: Path, where: Path) -> None:
        """A reader's dependency rejects no writer document when the writer never has the trigger property,
        or always has the needed ones (required, or its own dependency), or meets the needed schema."""
        if _DEPENDENCY_KEYWORDS.isdisjoint(r):  # the common case: the reader has no dependency to meet
            return
        w_needs, w_schemas = dependencies(w)
        r_needs, r_schemas = dependencies(r)
        required = set(w.get("required", []))
        probe = Probe(where, writer=w, reader=r)
        for name, (needs, keyword) in r_needs.items():
            if self.w.absent(w, name):
                continue
            own = set(w_needs.get(name, ([], ""))[0])
            missing = [n for n in needs if n not in required and n not in own]
            if missing:
                self.add("dependency", (*wp, w_needs[name][1]) if name in w_needs else wp, (*rp, keyword, name),
                         probe, property=name, needs=missing)
        for name, (schema, keyword) in r_schemas.items():
            if self.w.absent(w, name) or self.r.anything(schema):
                continue
            own_schema, own_keyword = w_schemas.get(name, (True, ""))
            if self.same_references and same(own_schema, schema):
                continue
            present = {k: v for k, v in w.items() if k not in ("dependencies", "dependentSchemas")}
            present["required"] = sorted(required | {name})
            present["allOf"] = [*w.get("allOf", []), own_schema]
            trial = self.trial()
            trial.walk(present, schema, wp, (*rp, keyword, name), where)
            if trial.found:
                self.add("dependency", (*wp, own_keyword, name) if own_keyword else wp, (*rp, keyword, name),
                         probe, property=name, needs="schema")

    def _array(self, w: dict[str, Any], r: dict[str, Any], wp: Path, rp: Path, where: Path) -> None:
        (w_prefix, wpk, w_rest, wrk), (r_prefix, rpk, r_rest, rrk) = items(w), items(r)
        for k in range(max(len(w_prefix), len(r_prefix)) + 1):
            last = k == max(len(w_prefix), len(r_prefix))
            w_item, w_path = (w_prefix[k], (*wp, wpk, k)) if k < len(w_prefix) else (w_rest, (*wp, wrk))
            r_item, r_path = (r_prefix[k], (*rp, rpk, k)) if k < len(r_prefix) else (r_rest, (*rp, rrk))
            if self.w.empty(self.w.read(w_item)):
                break
            if self.r.empty(self.r.read(r_item)):
                self.add("items-closed", w_path, r_path, Probe((*where, k), writer=w_item, reader=False), index=k)
            elif not last or not self.r.anything(r_item):
                self.walk(w_item, r_item, w_path, r_path, (*where, k))
        if r.get("uniqueItems") is True and w.get("uniqueItems") is not True:
            self.add("unique-items", (*wp, "uniqueItems"), (*rp, "uniqueItems"),
                     Probe(where, writer=w, reader={"uniqueItems": True}))


def same(a: Any, b: Any) -> bool:
    """Equal as JSON: Python's ``==`` also says ``False == 0`` and ``[1] == [True]``, which JSON does not
    (``1`` and ``1.0`` count as different here: that only costs a comparison)."""
    return a is b or (a == b and json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True))


def merge_all_of(node: dict[str, Any], side: Side) -> dict[str, Any]:
    """A writer's allOf folded into one schema that accepts at least its documents (required and properties
    of every branch; of other keywords, the first met): a looser writer can only add findings, which a
    counter-example must then prove."""
    merged = {k: v for k, v in node.items() if k != "allOf"}
    for branch in node["allOf"]:
        part = side.read(branch)
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


def _options(node: dict[str, Any], path: Path, side: Side) -> list[tuple[Any, Path]]:
    """The branches of an anyOf/oneOf, each merged with the node's other keywords."""
    for key in ("anyOf", "oneOf"):
        if key in node:
            rest = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
            out = []
            for i, branch in enumerate(node[key]):
                resolved, branch_path = side.resolve(branch, (*path, key, i))
                resolved = side.known(resolved)
                if resolved is True:  # a branch accepting everything leaves the node's other keywords to judge
                    merged = rest or True
                elif isinstance(resolved, dict) and rest:
                    merged = {**rest, **resolved}
                else:
                    merged = resolved
                out.append((merged, branch_path))
            return out
    return []


def _type_list(node: dict[str, Any]) -> list[str]:
    declared = node.get("type")
    if declared is None:
        return ["any"]
    return [declared] if isinstance(declared, str) else list(declared)


def _is_multiple(value: float, divisor: float) -> bool:
    quotient = value / divisor
    return math.isclose(quotient, round(quotient), rel_tol=0, abs_tol=1e-9)


def _brief(node: Any) -> str:
    if isinstance(node, dict):
        if "type" in node:
            return f"type {json.dumps(node['type'])}"
        if "enum" in node or "const" in node:
            return f"values {json.dumps(finite(node))}"
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
    if finding.kind == "one-of":
        return (f"a branch ({f['branch']}) of the {'old' if direction == 'backward' else 'new'} schema matches "
                f"both branch {f['first']} and branch {f['second']} of the "
                f"{'new' if direction == 'backward' else 'old'} schema's oneOf, which then rejects it")
    if finding.kind == "not":
        if direction == "backward":
            return "the new schema's `not` rejects documents the old schema accepted"
        return "the new schema accepts documents that the old schema's `not` rejects"
    if finding.kind == "dependency":
        needs = "its dependent schema" if f["needs"] == "schema" else "property " + ", ".join(
            repr(n) for n in f["needs"])
        if direction == "backward":
            return f"when property {f['property']!r} is present, the new schema now also needs {needs}"
        return f"when property {f['property']!r} is present, the new schema no longer needs {needs}, which " \
               "the old schema does"
    if finding.kind == "combinator":
        return f"a branch ({f['branch']}) of the {'old' if direction == 'backward' else 'new'} schema fits no " \
               f"branch of the {'new' if direction == 'backward' else 'old'} schema's anyOf/oneOf"
    return f"keyword {f['keyword']!r} changed (not analysed by the rules)"
