"""Avro compatibility: the specification's schema-resolution rules, and the default checks the checker misses.

Why a walker of our own around the ``avro`` package's checker: ``ReaderWriterCompatibilityChecker`` gets
the verdict right, but its merged result keeps messages and locations as unordered sets (so with two
incompatibilities nobody can say which message belongs to which place), loses locations below unions, and
does not look at defaults at all. The walk below visits reader and writer side by side, so each finding
keeps its own path; at each node it reuses the package's own pieces where they are right: name and alias
matching, field lookup by name and alias, the enum-symbol rule and the primitive promotions.
Added here: defaults that do not match their type, and union defaults that do not match the first branch.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import avro.schema
from avro.compatibility import (
    ReaderWriterCompatibilityChecker,
    SchemaCompatibilityType,
    check_reader_enum_contains_writer_enum,
    check_schema_names,
    lookup_writer_field,
)

from compat.finding import Finding
from compat.locate import Token, render

_NAMED = {"record", "enum", "fixed", "error"}


def parse_text(text: str) -> avro.schema.Schema:
    """Parsed once per distinct schema text (a transitive check compares each version with many others)."""
    return _parsed(text)[0]


@functools.lru_cache(maxsize=8192)
def _parsed(text: str) -> tuple[avro.schema.Schema, dict[int, str]]:
    """The parsed schema and a structural key per node (kept together: the keys are by node identity)."""
    schema = avro.schema.parse(text)
    keys: dict[int, str] = {}
    _key(schema, keys, set())
    return schema, keys


def _key(node: Any, keys: dict[int, str], stack: set[int]) -> str:
    """Everything resolution looks at below ``node``, as text: equal keys read each other unchanged.

    Why: consecutive versions share most fields; comparing equal subtrees by key instead of walking them
    is what keeps a transitive check of a long history fast.
    """
    if id(node) in keys:
        return keys[id(node)]
    kind = node.type
    if id(node) in stack:  # a recursive named type refers to itself by name
        return f"@{node.fullname}"
    parts = [kind]
    if kind in _NAMED:
        parts += [node.fullname, json.dumps(node.props.get("aliases"))]
    if kind in ("record", "error"):
        stack.add(id(node))
        for f in node.fields:
            default = json.dumps(f.default, sort_keys=True) if f.has_default else "-"
            parts.append(f"{f.name}|{json.dumps(f.props.get('aliases'))}|{default}|{_key(f.type, keys, stack)}")
        stack.discard(id(node))
    elif kind == "enum":
        parts += [json.dumps(node.symbols), json.dumps(node.props.get("default"))]
    elif kind == "fixed":
        parts.append(str(node.size))
    elif kind == "array":
        parts.append(_key(node.items, keys, stack))
    elif kind == "map":
        parts.append(_key(node.values, keys, stack))
    elif kind == "union":
        parts += [_key(branch, keys, stack) for branch in node.schemas]
    keys[id(node)] = "(" + ",".join(parts) + ")"
    return keys[id(node)]


def resolution(reader_text: str, writer_text: str) -> list[Finding]:
    """Every reason data written with ``writer`` cannot be read with ``reader`` (empty: compatible)."""
    reader, reader_keys = _parsed(reader_text)
    writer, writer_keys = _parsed(writer_text)
    walker = _Walker(reader_keys, writer_keys)
    walker.walk(reader, writer, (), ())
    return walker.found


def _label(schema: avro.schema.Schema) -> str:
    name = getattr(schema, "fullname", None)
    return f"{schema.type} {name}" if schema.type in _NAMED and name else str(schema.type)


class _Walker:
    def __init__(self, reader_keys: dict[int, str], writer_keys: dict[int, str]) -> None:
        self.reader_keys, self.writer_keys = reader_keys, writer_keys
        self.found: list[Finding] = []
        self.seen: set[tuple[int, int]] = set()
        self.checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]

    def add(self, kind: str, rp: tuple[Token, ...], wp: tuple[Token, ...], **facts: Any) -> None:
        self.found.append(Finding(kind, wp, rp, facts))

    def walk(self, r: Any, w: Any, rp: tuple[Token, ...], wp: tuple[Token, ...]) -> None:
        if self.reader_keys[id(r)] == self.writer_keys[id(w)]:  # identical structure reads itself
            return
        if r.type in _NAMED and w.type in _NAMED:  # recursive named types: each pair once
            if (id(r), id(w)) in self.seen:
                return
            self.seen.add((id(r), id(w)))
        if w.type == "union":
            for j, branch in enumerate(w.schemas):
                target = r.schemas if r.type == "union" else [r]
                i = _match(target, branch)
                if i is None:
                    self.add("union-branch", rp, (*wp, j), writer=_label(branch),
                             reader=[_label(s) for s in target])
                else:
                    self.walk(target[i], branch, (*rp, i) if r.type == "union" else rp, (*wp, j))
            return
        if r.type == "union":
            i = _match(r.schemas, w)
            if i is None:
                self.add("avro-type", rp, wp, writer=_label(w), reader=f"union {[_label(s) for s in r.schemas]}")
            else:
                self.walk(r.schemas[i], w, (*rp, i), wp)
            return
        if r.type != w.type:
            promoted = self.checker.get_compatibility(r, w).compatibility is SchemaCompatibilityType.compatible
            if not promoted:
                self.add("avro-type", rp, wp, writer=_label(w), reader=_label(r))
            return
        if r.type in _NAMED and check_schema_names(r, w, []).compatibility is not SchemaCompatibilityType.compatible:
            self.add("avro-name", (*rp, "name"), (*wp, "name"), writer=w.fullname, reader=r.fullname)
        if r.type in ("record", "error"):
            self._record(r, w, rp, wp)
        elif r.type == "array":
            self.walk(r.items, w.items, (*rp, "items"), (*wp, "items"))
        elif r.type == "map":
            self.walk(r.values, w.values, (*rp, "values"), (*wp, "values"))
        elif r.type == "enum":
            verdict = check_reader_enum_contains_writer_enum(r, w, [])
            if verdict.compatibility is not SchemaCompatibilityType.compatible:
                missing = [s for s in w.symbols if s not in r.symbols]
                self.add("enum-symbol", (*rp, "symbols"), (*wp, "symbols"), symbols=missing, enum=r.fullname)
        elif r.type == "fixed" and r.size != w.size:
            self.add("fixed-size", (*rp, "size"), (*wp, "size"), writer=w.size, reader=r.size, fixed=r.fullname)

    def _record(self, r: Any, w: Any, rp: tuple[Token, ...], wp: tuple[Token, ...]) -> None:
        positions = {id(f): j for j, f in enumerate(w.fields)}
        for i, reader_field in enumerate(r.fields):
            same = w.fields_dict.get(reader_field.name)
            if same is not None and self.reader_keys[id(reader_field.type)] == self.writer_keys[id(same.type)]:
                continue  # the usual case in a long history: an unchanged field
            writer_field = lookup_writer_field(writer_schema=w, reader_field=reader_field)
            if writer_field is None:
                if not reader_field.has_default:
                    self.add("field-no-default", (*rp, "fields", i), (*wp, "fields"), field=reader_field.name,
                             record=r.fullname)
                continue
            j = positions[id(writer_field)]
            self.walk(reader_field.type, writer_field.type, (*rp, "fields", i, "type"), (*wp, "fields", j, "type"))


def _match(branches: list[Any], writer: Any) -> int | None:
    """The reader branch that resolves ``writer`` (spec: first match; same type/name first, then promotions)."""
    for i, branch in enumerate(branches):
        if branch.type == writer.type and (
                branch.type not in _NAMED
                or check_schema_names(branch, writer, []).compatibility is SchemaCompatibilityType.compatible):
            return i
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
    for i, branch in enumerate(branches):
        if branch.type not in _NAMED | {"array", "map", "union"} and writer.type not in _NAMED | {"array", "map"} \
                and checker.get_compatibility(branch, writer).compatibility is SchemaCompatibilityType.compatible:
            return i
    return None


def describe(finding: Finding, direction: str) -> str:
    """What changed, in old/new terms (``backward``: reader = new; ``forward``: reader = old)."""
    facts = finding.facts
    new, old = ("reader", "writer") if direction == "backward" else ("writer", "reader")
    if finding.kind == "field-no-default":
        if direction == "backward":
            return (f"field {facts['field']!r} of {facts['record']} was added without a default: records written "
                    "with the old schema lack it and the new schema cannot fill it in")
        return (f"field {facts['field']!r} of {facts['record']} was removed, and the old schema has no default "
                "for it: records written with the new schema lack it")
    if finding.kind == "enum-symbol":
        symbols = ", ".join(facts["symbols"])
        if direction == "backward":
            return f"enum {facts['enum']} lost symbol(s) {symbols} and has no default to fall back on"
        return f"enum {facts['enum']} gained symbol(s) {symbols} that the old enum does not know (and has no default)"
    if finding.kind == "union-branch":
        if direction == "backward":
            return (f"the old schema may write {facts['writer']} here, but the new union {facts['reader']} "
                    "has no branch for it")
        return f"the new schema may write {facts['writer']} here, but the old schema only reads {facts['reader']}"
    if finding.kind == "avro-type":
        return f"type changed from {facts[old]} to {facts[new]}, which Avro cannot promote"
    if finding.kind == "avro-name":
        return f"named type renamed from {facts[old]} to {facts[new]} without an alias"
    return f"fixed {facts['fixed']} changed size from {facts[old]} to {facts[new]}"


@dataclass(frozen=True)
class DefaultProblem:
    """A field (or enum) default that readers cannot use."""

    rule: str
    path: str
    message: str


def defaults(schema: avro.schema.Schema) -> list[DefaultProblem]:
    """Field defaults that do not match their type, and union defaults that do not match the first branch.

    (An enum's own ``default`` outside its symbols is already refused by the parser: an input error.)
    """
    found: list[DefaultProblem] = []
    _defaults(schema, (), found, set())
    return found


def _defaults(schema: Any, path: tuple[Token, ...], found: list[DefaultProblem], seen: set[int]) -> None:
    if id(schema) in seen:
        return
    if schema.type in _NAMED:
        seen.add(id(schema))
    if schema.type == "union":
        for i, branch in enumerate(schema.schemas):
            _defaults(branch, (*path, i), found, seen)
    elif schema.type == "array":
        _defaults(schema.items, (*path, "items"), found, seen)
    elif schema.type == "map":
        _defaults(schema.values, (*path, "values"), found, seen)
    elif schema.type in ("record", "error"):
        for i, item in enumerate(schema.fields):
            where = (*path, "fields", i)
            if item.has_default:
                _check_default(item, where, found)
            _defaults(item.type, (*where, "type"), found, seen)


def _check_default(item: Any, where: tuple[Token, ...], found: list[DefaultProblem]) -> None:
    kind, value = item.type, item.default
    shown = json.dumps(value)
    if kind.type == "union":
        if _valid(kind.schemas[0], value):
            return
        other = next((b for b in kind.schemas[1:] if _valid(b, value)), None)
        if other is not None:
            found.append(DefaultProblem(
                "AVRO-UNION-DEFAULT-NOT-FIRST", render((*where, "default")),
                f"default {shown} of field {item.name!r} matches the union branch {_label(other)}, not the first "
                f"branch {_label(kind.schemas[0])}: Avro defaults of unions belong to the first branch"))
            return
    elif _valid(kind, value):
        return
    expected = _label(kind) if kind.type != "union" else "value of any branch of " + " | ".join(
        _label(b) for b in kind.schemas)
    found.append(DefaultProblem("AVRO-DEFAULT-TYPE-MISMATCH", render((*where, "default")),
                                f"default {shown} of field {item.name!r} is not a valid {expected}"))


_INT_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _valid(schema: Any, value: Any) -> bool:
    """Is ``value`` (the JSON encoding of a default, per the specification) a value of ``schema``?"""
    kind = schema.type
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in _INT_RANGES:
        low, high = _INT_RANGES[kind]
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    if kind in ("float", "double"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "bytes":
        return isinstance(value, str) and all(ord(c) < 256 for c in value)
    if kind == "fixed":
        return isinstance(value, str) and len(value) == schema.size and all(ord(c) < 256 for c in value)
    if kind == "enum":
        return value in schema.symbols
    if kind == "array":
        return isinstance(value, list) and all(_valid(schema.items, v) for v in value)
    if kind == "map":
        return isinstance(value, dict) and all(_valid(schema.values, v) for v in value.values())
    if kind == "union":
        return _valid(schema.schemas[0], value)
    if kind in ("record", "error"):
        return isinstance(value, dict) and all(
            _valid(f.type, value[f.name]) if f.name in value else f.has_default for f in schema.fields)
    return True
