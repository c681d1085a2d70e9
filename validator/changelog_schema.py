"""The Avro schemas of the validator's changelog, kept as files next to this module, one per kind and version.

Why files, derived once and then frozen: a changelog outlives the sigma that wrote it, so a record must be
read with exactly the schema it was written with, found by its fingerprint. The case schema is derived from
what a dossier keeps (``validator.dossier.KEPT_FIELDS``, typed as the latest released event schemas type
those fields); a test derives it again and compares, so a change to what a dossier keeps, or to the type of a
kept field, fails until the next version's file is written (``python -m validator.changelog_schema``) and
``validator.changelog.VERSION`` names it. Only kept fields go in: never a V-number, name or medical text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from schemas.catalogue import CATALOGUE
from validator.dossier import KEPT_FIELDS

FOLDER = Path(__file__).resolve().parent / "avro"
NAMESPACE = "nl.sigma.validator.changelog"
CASE = "case_state"
PARTITION = "partition_state"
TIMESTAMP: dict[str, Any] = {"type": "long", "logicalType": "timestamp-micros"}
"""Every point in time in the changelog: UTC, microseconds, as the events carry them."""
CASE_DOC = ("One open case's state (validator.dossier.Dossier): its input partition, the 64-bit hashes of its events' "
            "ids (8 bytes each) and CRC-32s of their values (4 bytes each), little-endian in arrival order, its "
            "kept facts per subject, those delivered late with their partition's event time then, and its "
            "published finding. Keyed by case key; a tombstone deletes a case evicted after the grace period.")
CASE_FIELDS = ("partition", "ids", "digests", "delayed", "published")
"""The case schema's fields that are not a subject's facts."""
FACT_HEADER = ("seq", "recorded_at", "partner")
"""The fields every kept fact has, before its subject's kept fields."""


def path(kind: str, version: int) -> Path:
    """The file of one kind (``case_state``, ``partition_state``) and version."""
    return FOLDER / f"{kind}.v{version}.avsc"


def released(kind: str) -> tuple[int, ...]:
    """The versions of ``kind`` on disk, ascending."""
    return tuple(sorted(int(p.name.split(".v")[1].split(".")[0]) for p in FOLDER.glob(f"{kind}.v*.avsc")))


def document(kind: str, version: int) -> dict[str, Any]:
    """A released schema as written."""
    loaded: dict[str, Any] = json.loads(path(kind, version).read_text(encoding="utf-8"))
    return loaded


def subjects(case_schema: dict[str, Any]) -> list[str]:
    """The subjects a case schema keeps facts of: its fields but the case's own."""
    return [f["name"] for f in case_schema["fields"] if f["name"] not in CASE_FIELDS]


def _undocumented(schema: Any, defined: set[str]) -> Any:
    """An event schema's type without docs, each named type spelled out once and referred to by name after."""
    if isinstance(schema, list):
        return [_undocumented(branch, defined) for branch in schema]
    if not isinstance(schema, dict):
        return schema
    name = schema.get("name")
    if name is not None:
        if name in defined:
            return name
        defined.add(name)
    kept = {k: v for k, v in schema.items() if k != "doc"}
    if "items" in kept:
        kept["items"] = _undocumented(kept["items"], defined)
    return kept


def _camel(subject: str) -> str:
    return "".join(part.capitalize() for part in subject.split("_"))


def derive_case_schema() -> dict[str, Any]:
    """The case schema of what a dossier keeps today, typed by the latest released event schemas."""
    defined: set[str] = set()
    subjects = []
    for subject in CATALOGUE.subjects():
        event = CATALOGUE.avro_document(subject.name, subject.latest)
        types = {f["name"]: f["type"] for f in event["fields"]}
        kept = KEPT_FIELDS.get(subject.name, ())
        assert not set(kept) & set(FACT_HEADER), f"{subject.name} keeps a field named like a fact's own"
        fields = [{"name": "seq", "type": "long"}, {"name": "recorded_at", "type": TIMESTAMP},
                  {"name": "partner", "type": _undocumented(types["partner"], defined)},
                  *({"name": name, "type": _undocumented(types[name], defined)} for name in kept)]
        fact = {"type": "record", "name": f"{NAMESPACE}.{_camel(subject.name)}Fact", "fields": fields}
        subjects.append({"name": subject.name, "type": {"type": "array", "items": fact}, "default": []})
    defect = {"type": "record", "name": f"{NAMESPACE}.Defect",
              "fields": [{"name": n, "type": "string"} for n in ("rule", "category", "partner", "kind")]}
    published = {"type": "record", "name": f"{NAMESPACE}.Published", "fields": [
        {"name": "revision", "type": "long"}, {"name": "facts", "type": "long"},
        {"name": "checkpoint", "type": TIMESTAMP}, {"name": "defects", "type": {"type": "array", "items": defect}}]}
    delayed = {"type": "record", "name": f"{NAMESPACE}.Delayed",
               "fields": [{"name": "seq", "type": "long"}, {"name": "progress", "type": TIMESTAMP}]}
    return {"type": "record", "name": f"{NAMESPACE}.CaseState", "doc": CASE_DOC, "fields": [
        {"name": "partition", "type": "int"},
        {"name": "ids", "type": "bytes"},
        {"name": "digests", "type": "bytes"},
        *subjects,
        {"name": "delayed", "type": ["null", {"type": "array", "items": delayed}], "default": None},
        {"name": "published", "type": ["null", published], "default": None},
    ]}


def main(argv: list[str]) -> int:
    """Write the derived case schema as version ``argv[0]`` (a new version: released files never change)."""
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m validator.changelog_schema <new case_state version>", file=sys.stderr)
        return 2
    target = path(CASE, int(argv[0]))
    if target.exists():
        print(f"changelog_schema: error: {target.name} is released already: name a new version", file=sys.stderr)
        return 1
    target.write_text(json.dumps(derive_case_schema(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
