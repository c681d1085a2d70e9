"""JSON Schema compatibility by rules: does every document valid under the writer's schema stay valid under
the reader's? Each finding carries the document path where a counter-example must differ.

BACKWARD compares (writer=old, reader=new); FORWARD the reverse. Supported keywords: type, enum, const,
properties, required, additionalProperties, items, numeric and length bounds, pattern, anyOf/oneOf, $ref
into $defs. Anything the rules cannot prove safe in a combinator is reported, never silently passed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

Doc = list[str | int]
"""Where in a document: object keys and array indices."""


@dataclass(frozen=True)
class Finding:
    """A rule hit before counter-example search: rule id, schema path, document path, message, a hint."""

    rule: str
    path: str
    doc: tuple[str | int, ...]
    message: str
    hint: Any = None


_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


class _Walker:
    def __init__(self, writer_root: Any, reader_root: Any) -> None:
        self.writer_root, self.reader_root = writer_root, reader_root
        self.found: list[Finding] = []

    def resolve(self, node: Any, root: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 32:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                return node
            target = root
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            extra = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **extra} if extra else target
            seen += 1
        return node

    def add(self, rule: str, path: str, doc: Doc, message: str, hint: Any = None) -> None:
        self.found.append(Finding(rule, path, tuple(doc), message, hint))

    def compare(self, writer: Any, reader: Any, path: str, doc: Doc) -> None:
        w = self.resolve(writer, self.writer_root)
        r = self.resolve(reader, self.reader_root)
        if r is True or r == {} or w is False:
            return
        if r is False:
            self.add("JSON-SCHEMA-CLOSED", path, doc, "the reader's schema is now `false`: nothing is accepted here")
            return
        if w is True or w == {}:
            w = {}
        if not isinstance(w, dict) or not isinstance(r, dict):
            return
        w_opts, r_opts = _options(w), _options(r)
        if w_opts is not None or r_opts is not None:
            self._combinators(w, r, w_opts or [w], r_opts or [r], path, doc)
            return
        self._types(w, r, path, doc)
        self._values(w, r, path, doc)
        self._bounds(w, r, path, doc)
        if r.get("pattern") and r.get("pattern") != w.get("pattern"):
            rule = "JSON-PATTERN-CHANGED" if w.get("pattern") else "JSON-PATTERN-ADDED"
            self.add(rule, f"{path}.pattern", doc, f"strings must now match {r['pattern']!r}"
                     + (f" (was {w['pattern']!r})" if w.get("pattern") else " (any string was accepted)"),
                     {"pattern": r["pattern"]})
        self._object(w, r, path, doc)
        self._array(w, r, path, doc)

    def _combinators(self, w: dict[str, Any], r: dict[str, Any], w_opts: list[Any], r_opts: list[Any], path: str,
                     doc: Doc) -> None:
        for i, option in enumerate(w_opts):
            best: list[Finding] | None = None
            for candidate in r_opts:
                probe = _Walker(self.writer_root, self.reader_root)
                probe.compare(option, candidate, path, doc)
                if best is None or len(probe.found) < len(best):
                    best = probe.found
                if not probe.found:
                    break
            if best:
                if len(r_opts) > 1 or len(w_opts) > 1:
                    self.add("JSON-COMBINATOR-NARROWED", f"{path}.anyOf[{i}]" if len(w_opts) > 1 else path, doc,
                             "a branch the writer allows fits no branch of the reader's anyOf/oneOf",
                             {"branch": self.resolve(option, self.writer_root)})
                else:
                    self.found.extend(best)

    def _types(self, w: dict[str, Any], r: dict[str, Any], path: str, doc: Doc) -> None:
        if "type" not in r:
            return
        wt, rt = _types(w.get("type")), _types(r.get("type"))
        if wt is None:
            self.add("JSON-TYPE-ADDED", f"{path}.type", doc, f"values must now be of type {sorted(rt or [])} "
                     "(any type was accepted)", {"types": sorted(rt or [])})
            return
        if rt is None:
            return
        lost = {t for t in wt if t not in rt and not (t == "integer" and "number" in rt)}
        if lost:
            self.add("JSON-TYPE-NARROWED", f"{path}.type", doc,
                     f"type narrowed from {sorted(wt)} to {sorted(rt)}: {sorted(lost)} values are now rejected",
                     {"types": sorted(lost)})

    def _values(self, w: dict[str, Any], r: dict[str, Any], path: str, doc: Doc) -> None:
        if "enum" in r:
            if "enum" not in w and "const" not in w:
                self.add("JSON-ENUM-ADDED", f"{path}.enum", doc, f"values are now limited to {r['enum']}")
            else:
                allowed = w.get("enum", [w.get("const")])
                lost = [v for v in allowed if v not in r["enum"]]
                if lost:
                    self.add("JSON-ENUM-NARROWED", f"{path}.enum", doc,
                             f"enum values {lost} are no longer accepted", {"values": lost})
        if "const" in r and w.get("const") != r["const"] and w.get("enum") != [r["const"]]:
            self.add("JSON-CONST-ADDED", f"{path}.const", doc, f"the value must now be {json.dumps(r['const'])}")

    def _bounds(self, w: dict[str, Any], r: dict[str, Any], path: str, doc: Doc) -> None:
        for key in _LOWER:
            floor = 0 if key.startswith("min") and key != "minimum" else None
            previous = w.get(key, floor)
            if key in r and (previous is None or r[key] > previous):
                self.add("JSON-BOUND-TIGHTENED", f"{path}.{key}", doc,
                         f"{key} raised from {w.get(key, 'none')} to {r[key]}", {key: r[key], "old": w.get(key)})
        for key in _UPPER:
            if key in r and (key not in w or r[key] < w[key]):
                self.add("JSON-BOUND-TIGHTENED", f"{path}.{key}", doc,
                         f"{key} lowered from {w.get(key, 'none')} to {r[key]}", {key: r[key], "old": w.get(key)})

    def _object(self, w: dict[str, Any], r: dict[str, Any], path: str, doc: Doc) -> None:
        wp, rp = w.get("properties", {}), r.get("properties", {})
        w_extra, r_extra = w.get("additionalProperties", True), r.get("additionalProperties", True)
        for name in sorted(set(r.get("required", [])) - set(w.get("required", []))):
            self.add("JSON-REQUIRED-ADDED", f"{path}.required", [*doc, name],
                     f"property {name!r} is now required; documents without it are rejected"
                     " (a default does not make a validator accept them)")
        for name in sorted(set(wp) & set(rp)):
            self.compare(wp[name], rp[name], f"{path}.properties.{name}", [*doc, name])
        for name in sorted(set(rp) - set(wp)):
            if w_extra is not False:
                before = w_extra if isinstance(w_extra, dict) else {}
                probe = _Walker(self.writer_root, self.reader_root)
                probe.compare(before, rp[name], f"{path}.properties.{name}", [*doc, name])
                if probe.found:
                    self.add("JSON-PROPERTY-ADDED-OPEN-MODEL", f"{path}.properties.{name}", [*doc, name],
                             f"property {name!r} is new, but the old open content model accepted any value "
                             "under that name; values it now rejects were valid before")
        for name in sorted(set(wp) - set(rp)):
            if r_extra is False:
                self.add("JSON-PROPERTY-REMOVED-CLOSED", f"{path}.properties.{name}", [*doc, name],
                         f"property {name!r} was removed and additionalProperties is false: documents with it "
                         "are rejected")
            elif isinstance(r_extra, dict):
                self.compare(wp[name], r_extra, f"{path}.additionalProperties", [*doc, name])
        if r_extra is False and w_extra is not False:
            self.add("JSON-ADDITIONAL-CLOSED", f"{path}.additionalProperties", [*doc, "x-extra-property"],
                     "additionalProperties closed: documents with properties the schema does not list are rejected")
        elif isinstance(r_extra, dict) and w_extra is not False:
            self.compare(w_extra if isinstance(w_extra, dict) else {}, r_extra, f"{path}.additionalProperties",
                         [*doc, "x-extra-property"])

    def _array(self, w: dict[str, Any], r: dict[str, Any], path: str, doc: Doc) -> None:
        if "items" not in r:
            return
        if r["items"] is False and w.get("items") is not False:
            self.add("JSON-ITEMS-CLOSED", f"{path}.items", [*doc, 0], "arrays may no longer have items")
            return
        self.compare(w.get("items", {}), r["items"], f"{path}.items", [*doc, 0])


def _options(node: dict[str, Any]) -> list[Any] | None:
    for key in ("anyOf", "oneOf"):
        if key in node:
            return list(node[key])
    return None


def _types(value: Any) -> set[str] | None:
    if value is None:
        return None
    return {value} if isinstance(value, str) else set(value)


def findings(writer: Any, reader: Any) -> list[Finding]:
    """Every rule hit for reading documents valid under ``writer`` with ``reader``."""
    walker = _Walker(writer, reader)
    walker.compare(writer, reader, "$", [])
    return walker.found
