"""The message book's constraints that Avro cannot express, checked on decoded Avro values.

Why: Avro guarantees types, enums, required fields and (by its logical types) dates and timestamps, but not
a pattern, a length or a range. A JSON value is checked against its JSON Schema, so without this an Avro
value breaking a limit (``bag_count`` 25 where the maximum is 20) would be accepted while the same value as
JSON is dead-lettered. Every encoding must give the same verdict.

Why compiled from the released JSON Schema files, not the models: a record is judged by the released
version it is read into, and the JSON Schema of that version is the message book's word on its limits.
Each (subject, version) is compiled once into one Python function that checks exactly the keywords Avro
does not guarantee on the decoded dict, in field order (no pydantic validation per record). Why generated
source: it runs for every record read without the native reader (and for every value that reader declines),
and one function of inline comparisons costs a third of a loop calling a test per field. A keyword this
module does not know fails when the function is compiled (a test compiles every released version), so a new
kind of constraint can never be silently unchecked. The native reader checks the same constraints itself,
from ``Constraints.spec`` (``schemas.fastread``); this module stays the reference that names what is broken.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemas.errors import CatalogueError

_GUARANTEED = frozenset({"type", "$ref", "description", "title", "default", "examples"})
"""Keywords Avro decoding already guarantees (types, enum symbols by ``$ref``) or that constrain nothing."""
_LOGICAL_FORMATS = {"date-time": ("timestamp-micros", "timestamp-millis"), "date": ("date",)}
"""JSON Schema formats that an Avro logical type guarantees."""
_BOUNDS = {"minLength": "len(v) >= {}", "maxLength": "len(v) <= {}", "minimum": "v >= {}", "maximum": "v <= {}",
           "exclusiveMinimum": "v > {}", "exclusiveMaximum": "v < {}"}
"""Each limit as a Python expression over the value ``v`` (NaN keeps none of them)."""
_REMEMBERED = frozenset({"case_key"})
"""Fields whose pattern verdict is remembered per value: a case's key arrives with each of its events (a dozen
or so), and a set lookup costs a tenth of a regex search. Not ``event_id``: it never repeats."""
_REMEMBER = 1 << 16
"""Good values remembered per field before the memory is cleared (bounded; a miss only searches again)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One keyword of one field: its name (as JSON Schema calls it) and a Python expression over ``v`` that is
    true when the value keeps it (patterns are called by name from the compiled function's namespace)."""

    keyword: str
    source: str
    value: str | int | float
    """The keyword's value as the JSON Schema gives it: the pattern (ECMA 262) or the limit."""
    limit: str | None = None
    """The number of a length or range limit, as source text."""


@dataclass(frozen=True, slots=True)
class FieldCheck:
    """The constraints of one field; ``optional`` fields are checked only when not null."""

    field: str
    rules: tuple[Rule, ...]
    optional: bool

    @property
    def source(self) -> str:
        """All rules as one expression; a length or a range as one chained comparison."""
        limits = {r.keyword: r.limit for r in self.rules}
        if {r.keyword for r in self.rules} == {"minLength", "maxLength"}:
            return f"{limits['minLength']} <= len(v) <= {limits['maxLength']}"
        if {r.keyword for r in self.rules} == {"minimum", "maximum"}:
            return f"{limits['minimum']} <= v <= {limits['maximum']}"
        return " and ".join(f"({r.source})" for r in self.rules)


@dataclass(frozen=True, slots=True)
class Violation:
    """A value breaking a constraint: where (JSON path), which keyword, of which field."""

    field: str
    path: str
    keyword: str


class Constraints:
    """The compiled checks of one (subject, version), in field order."""

    __slots__ = ("_namespace", "checks", "fields", "first_broken", "name", "version")

    def __init__(self, name: str, version: int, checks: list[FieldCheck], fields: list[str],
                 patterns: dict[str, Callable[[str], Any]]) -> None:
        self.name = name
        self.version = version
        self.checks = tuple(checks)
        self.fields = tuple(fields)
        """Every field in the schema's order (the order violations are reported in, for every encoding)."""
        self._namespace: dict[str, Any] = dict(patterns)
        lines = ["def first_broken(d):"]
        for index, check in enumerate(self.checks):
            guard = "v is not None and not" if check.optional else "not"
            lines += [f"    v = d[{check.field!r}]", f"    if {guard} ({check.source}): return {index}"]
        lines.append("    return -1")
        exec(compile("\n".join(lines), f"<constraints of {name} v{version}>", "exec"), self._namespace)
        self.first_broken: Callable[[dict[str, Any]], int] = self._namespace["first_broken"]
        """The index of the first check ``data`` breaks, or -1: the hot path's whole test, one call."""

    def spec(self) -> list[dict[str, Any]]:
        """Every check as data (field, whether optional, each rule's keyword and JSON Schema value), for a
        reader that checks them itself (``schemas.fastread``)."""
        return [{"field": c.field, "optional": c.optional, "rules": [[r.keyword, r.value] for r in c.rules]}
                for c in self.checks]

    def violation(self, data: dict[str, Any]) -> Violation | None:
        """The first constraint ``data`` (a decoded value) breaks, in field order; None when it keeps all."""
        index = self.first_broken(data)
        if index < 0:
            return None
        check = self.checks[index]
        return Violation(check.field, f"$.{check.field}", self.broken(check, data[check.field]) or "schema")

    def broken(self, check: FieldCheck, value: Any) -> str | None:
        """The keyword of the first rule of ``check`` that ``value`` breaks, or None (the slow path: errors)."""
        return next((r.keyword for r in check.rules if not eval(r.source, self._namespace, {"v": value})), None)


def compile_constraints(name: str, version: int, json_schema: dict[str, Any],
                        avro_document: dict[str, Any]) -> Constraints:
    """The checks of a released JSON Schema for values decoded with the same version's Avro schema."""
    properties: dict[str, Any] = json_schema.get("properties", {})
    order = [f["name"] for f in avro_document["fields"]]
    patterns: dict[str, Callable[[str], Any]] = {}
    checks = []
    for field in avro_document["fields"]:
        schema = properties.get(field["name"])
        where = f"{name} v{version} field {field['name']}"
        if schema is None:
            raise CatalogueError(f"{where} is in the Avro schema but not the JSON Schema")
        check = _field(field["name"], schema, field["type"], where, patterns)
        if check is not None:
            checks.append(check)
    return Constraints(name, version, checks, order, patterns)


def _field(field: str, schema: dict[str, Any], avro_type: Any, where: str,
           patterns: dict[str, Callable[[str], Any]]) -> FieldCheck | None:
    optional = False
    if "anyOf" in schema:
        branches = [b for b in schema["anyOf"] if b != {"type": "null"}]
        if len(branches) != 1 or len(schema["anyOf"]) != 2:
            raise CatalogueError(f"{where}: only anyOf [X, null] (an optional field) is checked")
        _unknown({k: v for k, v in schema.items() if k != "anyOf"}, where)
        schema, optional = branches[0], True
        avro_type = next(t for t in avro_type if t != "null") if isinstance(avro_type, list) else avro_type
    if schema.get("type") == "array":  # arrays of plain strings or enum symbols: Avro guarantees them
        _unknown({k: v for k, v in schema.items() if k != "items"}, where)
        _unknown(schema.get("items", {}), where + " items")
        return None
    rules: list[Rule] = []
    for keyword, value in schema.items():
        if keyword in _GUARANTEED:
            continue
        if keyword == "pattern":
            handle = f"P{len(patterns)}"
            patterns[handle] = _pattern(value, where)
            if field in _REMEMBERED:
                patterns[handle] = _remembering(patterns[handle])
            rules.append(Rule("pattern", f"{handle}(v)", value))
        elif keyword in _BOUNDS and isinstance(value, int | float) and not isinstance(value, bool):
            rules.append(Rule(keyword, _BOUNDS[keyword].format(repr(value)), value, repr(value)))
        elif keyword == "format":
            logical = avro_type.get("logicalType") if isinstance(avro_type, dict) else None
            if logical not in _LOGICAL_FORMATS.get(value, ()):
                raise CatalogueError(f"{where}: format {value} is not guaranteed by an Avro logical type and is "
                                     "not checked: add it to schemas/constraints.py")
        else:
            _unknown({keyword: value}, where)
    return FieldCheck(field, tuple(rules), optional) if rules else None


def _unknown(schema: dict[str, Any], where: str) -> None:
    """Fail on any keyword left over that this module does not check."""
    for keyword in schema:
        if keyword not in _GUARANTEED:
            raise CatalogueError(f"{where}: keyword {keyword} is not checked on Avro values: "
                                 "add it to schemas/constraints.py")


def _remembering(search: Callable[[str], Any]) -> Callable[[str], Any]:
    """``search`` with its good values remembered (at most ``_REMEMBER``; then forgotten and learnt again)."""
    good: set[str] = set()

    def check(value: str) -> bool:
        if value in good:
            return True
        if search(value) is None:
            return False
        if len(good) >= _REMEMBER:
            good.clear()
        good.add(value)
        return True

    return check


def _pattern(pattern: str, where: str) -> Callable[[str], Any]:
    """A JSON Schema (ECMA 262) pattern as a Python search; ``$`` ends the string, as in ECMA, not before a
    final newline as in Python (``\\Z``)."""
    translated = re.sub(r"(?<!\\)\$", r"\\Z", pattern)
    try:
        return re.compile(translated).search
    except re.error as exc:
        raise CatalogueError(f"{where}: pattern {pattern!r} does not compile: {exc}") from None
