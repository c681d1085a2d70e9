"""Every rule id the checker can report, with what it means, who breaks and the usual fix.

Why one table: rule ids are a contract (baselines, CI annotations and SARIF rule metadata refer to them), so
they are spelled once here; the docs' rules reference is rendered from this table and a test keeps each
rule covered by a failing and a passing schema pair.

Direction matters for the name: a BACKWARD violation is something the new schema stopped accepting
(``…-NARROWED``, ``…-REMOVED``), a FORWARD violation something the new schema started producing that old
readers reject (``…-WIDENED``, ``…-ADDED``).
"""

from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    """What a rule id says, who it breaks and how to fix it."""

    title: str
    breaks: str
    fix: str


NEW_SUBJECT = "or, if the break is intended, release it under a new subject (a new major event type)"

RULES: dict[str, Rule] = {
    # The catalogue itself.
    "CATALOGUE-RELEASED-EDITED": Rule(
        "a released schema version file was edited",
        "every reader and recording that resolves that version by fingerprint",
        "restore the released file; change the model's `version` and run `sigma schemas generate` instead"),
    "CATALOGUE-VERSION-DELETED": Rule(
        "a released schema version file was deleted",
        "readers decoding old records and recordings written with that version",
        "restore the file: released versions stay in the catalogue for good"),
    "CATALOGUE-MODEL-NOT-GENERATED": Rule(
        "a model changed but its schema files were not generated (stale or missing)",
        "everyone: the committed catalogue no longer describes what producers send",
        "bump `version` on the model if its schema changed, then run `sigma schemas generate`"),
    # Avro schema resolution (reader vs writer), direction-specific names.
    "AVRO-FIELD-ADDED-NO-DEFAULT": Rule(
        "the new schema has a field without a default that old records lack",
        "readers using the new schema, reading records written with the old one",
        f"give the field a default (for an optional field: type [\"null\", …] with default null), {NEW_SUBJECT}"),
    "AVRO-FIELD-REMOVED-NO-DEFAULT": Rule(
        "a field that has no default in the old schema was removed",
        "readers still on the old schema, reading records written with the new one",
        f"keep the field, or first release a version that gives it a default, {NEW_SUBJECT}"),
    "AVRO-TYPE-CHANGED": Rule(
        "a type changed to one the other side cannot promote to (int→long→float→double, string↔bytes)",
        "readers on the other version of the schema",
        f"keep the type, or widen only along Avro's promotions, {NEW_SUBJECT}"),
    "AVRO-ENUM-SYMBOL-REMOVED": Rule(
        "an enum symbol was removed and the enum has no default",
        "readers using the new schema, reading old records that carry the removed symbol",
        f"keep the symbol, or give the enum a `default` symbol, {NEW_SUBJECT}"),
    "AVRO-ENUM-SYMBOL-ADDED": Rule(
        "an enum symbol was added that old readers do not know, and their enum has no default",
        "readers still on the old schema, reading new records with the new symbol",
        f"give the enum a `default` first (in its own release), {NEW_SUBJECT}"),
    "AVRO-UNION-BRANCH-REMOVED": Rule(
        "a union lost a branch that old records may use",
        "readers using the new schema, reading old records written in the removed branch",
        f"keep the branch, {NEW_SUBJECT}"),
    "AVRO-UNION-BRANCH-ADDED": Rule(
        "a union gained a branch (or a type became a union) that old readers cannot read",
        "readers still on the old schema, reading new records written in the new branch",
        f"under FORWARD/FULL, do not add branches, {NEW_SUBJECT}"),
    "AVRO-NAME-MISMATCH": Rule(
        "a record, enum or fixed type was renamed without an alias",
        "readers on the other version of the schema",
        "keep the name, or add the old full name to `aliases`"),
    "AVRO-FIXED-SIZE-CHANGED": Rule(
        "the size of a fixed type changed",
        "readers on the other version of the schema",
        f"keep the size, {NEW_SUBJECT}"),
    "AVRO-DEFAULT-TYPE-MISMATCH": Rule(
        "a default value does not match its field's type (the avro checker does not look at defaults)",
        "every reader that fills the field in from its default (records written without the field)",
        "write a default of the field's type (JSON encoding as in the Avro specification)"),
    "AVRO-UNION-DEFAULT-NOT-FIRST": Rule(
        "a union default does not match the union's first branch",
        "readers that fill the field in from its default: fastavro and Avro < 1.12 reject the schema or the value",
        "put the default's branch first (for null defaults: [\"null\", …])"),
    # JSON Schema: is every document valid under the writer's schema valid under the reader's?
    "JSON-TYPE-NARROWED": Rule(
        "the new schema accepts fewer JSON types",
        "readers validating with the new schema, given documents written under the old one",
        f"keep the old types (add, never remove), {NEW_SUBJECT}"),
    "JSON-TYPE-WIDENED": Rule(
        "the new schema accepts more JSON types than old readers do",
        "readers still on the old schema, given documents written under the new one",
        f"under FORWARD/FULL, keep the types, {NEW_SUBJECT}"),
    "JSON-ENUM-NARROWED": Rule(
        "fewer values are allowed (enum values removed, an enum or const added)",
        "readers validating with the new schema, given old documents with the dropped values",
        f"keep every old value, {NEW_SUBJECT}"),
    "JSON-ENUM-WIDENED": Rule(
        "more values are allowed (enum values added, an enum or const removed)",
        "readers still on the old schema, given new documents with the added values",
        f"under FORWARD/FULL, do not add values, {NEW_SUBJECT}"),
    "JSON-BOUND-TIGHTENED": Rule(
        "a bound was tightened (minimum/maximum, lengths, item or property counts, multipleOf)",
        "readers validating with the new schema, given old documents near the old bound",
        f"keep the old bound, {NEW_SUBJECT}"),
    "JSON-BOUND-LOOSENED": Rule(
        "a bound was loosened",
        "readers still on the old schema, given new documents beyond the old bound",
        f"under FORWARD/FULL, keep the bound, {NEW_SUBJECT}"),
    "JSON-PATTERN-ADDED": Rule(
        "strings must now match a pattern",
        "readers validating with the new schema, given old strings that do not match",
        f"drop the pattern or enforce it in the producer only, {NEW_SUBJECT}"),
    "JSON-PATTERN-REMOVED": Rule(
        "a pattern was removed",
        "readers still on the old schema, given new strings that do not match the old pattern",
        f"under FORWARD/FULL, keep the pattern, {NEW_SUBJECT}"),
    "JSON-PATTERN-CHANGED": Rule(
        "a pattern changed and strings valid before are rejected now",
        "readers on the other version, given strings only one pattern accepts",
        f"keep the pattern (or make the new one accept everything the old one did), {NEW_SUBJECT}"),
    "JSON-REQUIRED-ADDED": Rule(
        "a property became required (a `default` does not make a validator accept its absence)",
        "readers validating with the new schema, given old documents without the property",
        f"make it optional, {NEW_SUBJECT}"),
    "JSON-REQUIRED-REMOVED": Rule(
        "a property is no longer required",
        "readers still on the old schema, given new documents without the property",
        f"under FORWARD/FULL, keep it required, {NEW_SUBJECT}"),
    "JSON-ADDITIONAL-CLOSED": Rule(
        "additionalProperties was closed (false): unlisted properties are rejected",
        "readers validating with the new schema, given old documents with extra properties",
        f"leave the content model open, {NEW_SUBJECT}"),
    "JSON-ADDITIONAL-OPENED": Rule(
        "additionalProperties was opened where old readers have a closed model",
        "readers still on the old schema, given new documents with extra properties",
        f"under FORWARD/FULL, keep the model closed, {NEW_SUBJECT}"),
    "JSON-PROPERTY-REMOVED-CLOSED": Rule(
        "a property was removed from a closed content model",
        "readers validating with the new schema, given old documents that still carry it",
        f"keep the property (optional, deprecated), {NEW_SUBJECT}"),
    "JSON-PROPERTY-ADDED-CLOSED": Rule(
        "a property was added where old readers have a closed content model",
        "readers still on the old schema, given new documents that carry it",
        f"under FORWARD/FULL with additionalProperties false, properties cannot be added; {NEW_SUBJECT}"),
    "JSON-PROPERTY-ADDED-OPEN-MODEL": Rule(
        "a property was added with constraints where the old open content model accepted any value",
        "readers validating with the new schema, given old documents that used the name differently",
        f"choose a name the old documents cannot have used, or close the old model first, {NEW_SUBJECT}"),
    "JSON-PROPERTY-REMOVED-OPEN-MODEL": Rule(
        "a constrained property was removed from an open content model, so any value may now appear under it",
        "readers still on the old schema, given new documents with other values under the name",
        f"under FORWARD/FULL, keep the property's schema, {NEW_SUBJECT}"),
    "JSON-ITEMS-CLOSED": Rule(
        "arrays may have fewer items (items false, or fewer prefixItems)",
        "readers validating with the new schema, given old documents with those items",
        f"keep the items open, {NEW_SUBJECT}"),
    "JSON-ITEMS-OPENED": Rule(
        "arrays may have more items than old readers allow",
        "readers still on the old schema, given new documents with the extra items",
        f"under FORWARD/FULL, keep the items closed, {NEW_SUBJECT}"),
    "JSON-UNIQUE-ITEMS-ADDED": Rule(
        "array items must now be unique",
        "readers validating with the new schema, given old documents with repeated items",
        f"drop uniqueItems, {NEW_SUBJECT}"),
    "JSON-UNIQUE-ITEMS-REMOVED": Rule(
        "array items no longer need to be unique",
        "readers still on the old schema, given new documents with repeated items",
        f"under FORWARD/FULL, keep uniqueItems, {NEW_SUBJECT}"),
    "JSON-SCHEMA-CLOSED": Rule(
        "a (sub)schema became `false`: nothing is accepted there",
        "readers validating with the new schema, given any old document with a value there",
        f"keep the schema, {NEW_SUBJECT}"),
    "JSON-SCHEMA-OPENED": Rule(
        "a (sub)schema that was `false` now accepts values",
        "readers still on the old schema, given new documents with a value there",
        f"under FORWARD/FULL, keep it false, {NEW_SUBJECT}"),
    "JSON-COMBINATOR-NARROWED": Rule(
        "a branch of an anyOf/oneOf fits no branch of the new schema",
        "readers validating with the new schema, given old documents of that branch",
        f"keep the branch, {NEW_SUBJECT}"),
    "JSON-COMBINATOR-WIDENED": Rule(
        "the new schema has an anyOf/oneOf branch that old readers do not accept",
        "readers still on the old schema, given new documents of that branch",
        f"under FORWARD/FULL, do not add branches, {NEW_SUBJECT}"),
    "JSON-NOT-NARROWED": Rule(
        "a `not` now rejects documents the old schema accepted (added, or excluding more)",
        "readers validating with the new schema, given old documents that the `not` now matches",
        f"exclude only what the old schema already rejected, {NEW_SUBJECT}"),
    "JSON-NOT-WIDENED": Rule(
        "documents that the old schema's `not` rejects are now accepted (removed, or excluding less)",
        "readers still on the old schema, given new documents that its `not` matches",
        f"under FORWARD/FULL, keep the exclusion, {NEW_SUBJECT}"),
    "JSON-DEPENDENCY-ADDED": Rule(
        "a property now needs other properties or a schema when present (dependencies, dependentRequired, "
        "dependentSchemas)",
        "readers validating with the new schema, given old documents with the property but not what it needs",
        f"drop the dependency, or make the needed property required in the same release only if it always was, "
        f"{NEW_SUBJECT}"),
    "JSON-DEPENDENCY-REMOVED": Rule(
        "a property no longer needs what it needed when present",
        "readers still on the old schema, given new documents with the property but without what it needed",
        f"under FORWARD/FULL, keep the dependency, {NEW_SUBJECT}"),
    "JSON-ONE-OF-AMBIGUOUS": Rule(
        "a document of the other version matches two branches of a oneOf, which then rejects it",
        "readers of the version with the oneOf, given documents of the other version that match two branches",
        f"make the oneOf branches exclusive (distinct types or a discriminating const), or use anyOf, "
        f"{NEW_SUBJECT}"),
    "JSON-KEYWORD-CHANGED": Rule(
        "a keyword the rules do not analyse (if/then/else, patternProperties, contains, propertyNames, "
        "unevaluated*…) changed, and a verified counter-example shows a document it now rejects",
        "readers on the other version, given documents like the counter-example",
        f"undo the keyword change, {NEW_SUBJECT}"),
    "JSON-UNDECIDED": Rule(
        "the checker cannot decide: a change may reject documents the other version accepts, but no "
        "counter-example could be verified (see docs/compat.md, known limitations)",
        "possibly readers on the other version; nothing was proven either way",
        "check the change by hand; if it is safe, accept it in the baseline with the reason"),
}

BACKWARD_FORWARD: dict[str, tuple[str, str]] = {
    "type": ("JSON-TYPE-NARROWED", "JSON-TYPE-WIDENED"),
    "enum": ("JSON-ENUM-NARROWED", "JSON-ENUM-WIDENED"),
    "bound": ("JSON-BOUND-TIGHTENED", "JSON-BOUND-LOOSENED"),
    "pattern-added": ("JSON-PATTERN-ADDED", "JSON-PATTERN-REMOVED"),
    "pattern-changed": ("JSON-PATTERN-CHANGED", "JSON-PATTERN-CHANGED"),
    "required": ("JSON-REQUIRED-ADDED", "JSON-REQUIRED-REMOVED"),
    "additional-closed": ("JSON-ADDITIONAL-CLOSED", "JSON-ADDITIONAL-OPENED"),
    "property-closed": ("JSON-PROPERTY-REMOVED-CLOSED", "JSON-PROPERTY-ADDED-CLOSED"),
    "property-open": ("JSON-PROPERTY-ADDED-OPEN-MODEL", "JSON-PROPERTY-REMOVED-OPEN-MODEL"),
    "items-closed": ("JSON-ITEMS-CLOSED", "JSON-ITEMS-OPENED"),
    "unique-items": ("JSON-UNIQUE-ITEMS-ADDED", "JSON-UNIQUE-ITEMS-REMOVED"),
    "schema-false": ("JSON-SCHEMA-CLOSED", "JSON-SCHEMA-OPENED"),
    "combinator": ("JSON-COMBINATOR-NARROWED", "JSON-COMBINATOR-WIDENED"),
    "keyword": ("JSON-KEYWORD-CHANGED", "JSON-KEYWORD-CHANGED"),
    "not": ("JSON-NOT-NARROWED", "JSON-NOT-WIDENED"),
    "dependency": ("JSON-DEPENDENCY-ADDED", "JSON-DEPENDENCY-REMOVED"),
    "one-of": ("JSON-ONE-OF-AMBIGUOUS", "JSON-ONE-OF-AMBIGUOUS"),
    "field-no-default": ("AVRO-FIELD-ADDED-NO-DEFAULT", "AVRO-FIELD-REMOVED-NO-DEFAULT"),
    "enum-symbol": ("AVRO-ENUM-SYMBOL-REMOVED", "AVRO-ENUM-SYMBOL-ADDED"),
    "union-branch": ("AVRO-UNION-BRANCH-REMOVED", "AVRO-UNION-BRANCH-ADDED"),
    "avro-type": ("AVRO-TYPE-CHANGED", "AVRO-TYPE-CHANGED"),
    "avro-name": ("AVRO-NAME-MISMATCH", "AVRO-NAME-MISMATCH"),
    "fixed-size": ("AVRO-FIXED-SIZE-CHANGED", "AVRO-FIXED-SIZE-CHANGED"),
}
"""Kind of finding → (rule id when it breaks BACKWARD, rule id when it breaks FORWARD)."""


def rule_id(kind: str, direction: str) -> str:
    """The stable rule id of a finding kind in a direction (``backward`` or ``forward``)."""
    backward, forward = BACKWARD_FORWARD[kind]
    return backward if direction == "backward" else forward


def who_breaks(direction: str) -> str:
    """The sentence naming the readers a violation in ``direction`` breaks."""
    if direction == "backward":
        return "readers using the new schema reject (or cannot decode) data written with the old one"
    return "readers still on the old schema reject (or cannot decode) data written with the new one"


def reference_table() -> str:
    """The rules reference as a Markdown table (docs/compat.md embeds it; a test keeps it current)."""
    lines = ["| rule | what changed | who breaks | fix |", "|---|---|---|---|"]
    for rule, info in RULES.items():
        lines.append(f"| `{rule}` | {info.title} | {info.breaks} | {info.fix} |")
    return "\n".join(lines) + "\n"


def markdown_table() -> str:
    """The rules reference as a Markdown table (the block between the markers in docs/compat.md)."""
    rows = ["| rule | what changed | who breaks | fix |", "|---|---|---|---|"]
    rows += [f"| `{rule_id}` | {r.title} | {r.breaks} | {r.fix} |".replace("\n", " ") for rule_id, r in RULES.items()]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
