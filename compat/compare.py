"""Compare two schema versions at a compatibility level: every violation, as values.

BACKWARD reads old data with the new schema (reader = new, writer = old); FORWARD reads new data with the
old schema. Each direction's findings are named by direction (``rules.rule_id``), placed at their path in
the *new* file, told in old/new words, and — for JSON Schema — paired with a verified counter-example.
Results are memoised per (old, new, direction) by content: a transitive catalogue check meets each pair
once per format, a FULL level twice, and repeated runs in one process not at all.
"""

from __future__ import annotations

import functools

from compat import avro_rules, counterexample, jsonschema_rules
from compat.jsonschema_side import Side
from compat.levels import directions
from compat.load import Schema
from compat.locate import line_of, render
from compat.model import CompatInputError, Result, Violation
from compat.rules import RULES, rule_id, who_breaks

UNDECIDED = "JSON-UNDECIDED"
"""A JSON Schema finding without a verified counter-example: every incompatible verdict carries a proof."""


def compare(old: Schema, new: Schema, level: str) -> Result:
    """Two files at ``level`` (for two files the _TRANSITIVE forms equal the plain ones)."""
    if old.kind != new.kind:
        raise CompatInputError(f"{old.name} is {old.kind} but {new.name} is {new.kind}: compare like with like")
    label = f"{old.name} → {new.name} {level}"
    found = [v.at(check=label) for v in pair(old, new, level)]
    if directions(level):
        found += [v.at(check=label) for v in defaults(new)]
    return Result(tuple(located(v, new) for v in found), (label,))


def pair(old: Schema, new: Schema, level: str) -> list[Violation]:
    """The violations of ``level`` when ``new`` follows ``old`` (without file and line)."""
    found: list[Violation] = []
    for direction in directions(level):
        found += directional(old, new, direction)
    return found


def located(violation: Violation, schema: Schema) -> Violation:
    """The violation placed in ``schema``'s file, at the line of its path."""
    return violation.at(file=violation.file or schema.name, line=line_of(schema.text, violation.path))


@functools.lru_cache(maxsize=65536)
def directional(old: Schema, new: Schema, direction: str) -> tuple[Violation, ...]:
    """One direction's violations; memoised by content."""
    if old.digest == new.digest:
        return ()
    if old.kind == "avro":
        return _avro(old, new, direction)
    return _json(old, new, direction)


@functools.lru_cache(maxsize=8192)
def defaults(schema: Schema) -> tuple[Violation, ...]:
    """Avro defaults readers cannot use (a defect of the schema itself, whatever the level)."""
    if schema.kind != "avro":
        return ()
    return tuple(Violation(p.rule, p.path, f"{p.message}: every reader that fills the field in from its default "
                           "breaks", fix=RULES[p.rule].fix)
                 for p in avro_rules.defaults(avro_rules.parse_text(schema.text)))


@functools.lru_cache(maxsize=1024)
def side(schema: Schema) -> Side:
    """The schema read under its draft, with what the rules learnt about its subschemas (kept: a transitive
    check compares each version with many others)."""
    return Side(schema.document)


def _avro(old: Schema, new: Schema, direction: str) -> tuple[Violation, ...]:
    reader, writer = (new, old) if direction == "backward" else (old, new)
    out = []
    for finding in avro_rules.resolution(reader.text, writer.text):
        rule = rule_id(finding.kind, direction)
        what = avro_rules.describe(finding, direction)
        out.append(Violation(rule, render(finding.new_path(direction)), f"{what}: {who_breaks(direction)}",
                             fix=RULES[rule].fix, direction=direction))
    return tuple(out)


def _json(old: Schema, new: Schema, direction: str) -> tuple[Violation, ...]:
    writer, reader = (old, new) if direction == "backward" else (new, old)
    out = []
    seen = set()
    for finding in jsonschema_rules.findings(side(writer), side(reader)):
        rule = rule_id(finding.kind, direction)
        path = render(finding.new_path(direction))
        what = jsonschema_rules.describe(finding, direction)
        if (rule, path, what) in seen:  # a shared or recursive $defs entry: reported once, where first met
            continue
        seen.add((rule, path, what))
        verified, doc = counterexample.find(writer.document, reader.document, finding.probe)
        at = f"at document path {render(finding.probe.where)}"
        if verified:
            out.append(Violation(rule, path, f"{what}, {at}: {who_breaks(direction)}", fix=RULES[rule].fix,
                                 direction=direction, searched=True, verified=True, counterexample=doc))
            continue
        sides = ("old", "new") if direction == "backward" else ("new", "old")
        out.append(Violation(UNDECIDED, path, f"cannot decide whether this breaks readers: {what}, {at}; no "
                             f"document valid under the {sides[0]} schema and rejected by the {sides[1]} one was "
                             f"found ({rule} if there is one)", fix=RULES[UNDECIDED].fix, direction=direction,
                             searched=True))
    return tuple(out)
