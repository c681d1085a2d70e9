"""Where the catalogue's files live and how they are named, in one place.

Why one module: the generator writes these paths, the catalogue reads them, the envelope puts their URIs
in ``ce_dataschema`` and the docs link them; a second spelling anywhere would drift.
"""

from __future__ import annotations

from pathlib import Path

AVRO_NAMESPACE = "nl.sigma.chain"
"""Namespace of every generated Avro record (``nl.sigma.chain.<ModelClassName>``)."""

SCHEMA_BASE_URI = "https://sigma.example/"
"""Base of the schema URIs (``$id``, ``ce_dataschema``): base + repo-relative path of the file.

``.example`` is reserved (RFC 2606): the catalogue is identified, not fetched; a deployment that serves the
files maps this base to its own host without changing any released file's path.
"""

REPO_ROOT = Path(__file__).resolve().parent.parent
"""Folder that holds the ``schemas`` package: the root the repo-relative paths are taken from."""


def avro_path(subject: str, version: int) -> str:
    """Repo-relative posix path of a released Avro schema."""
    return f"schemas/avro/{subject}/v{version}.avsc"


def json_path(subject: str, version: int) -> str:
    """Repo-relative posix path of a released JSON Schema."""
    return f"schemas/jsonschema/{subject}/v{version}.json"


REPORT_SCHEMA = "schemas/jsonschema/report.schema.json"
"""Repo-relative posix path of the JSON Schema of ``sigma validate --report-json`` (one file, not versioned)."""


def released_versions(root: Path, subject: str) -> tuple[int, ...]:
    """The versions of ``subject`` released under ``root`` (its ``.avsc`` files), ascending."""
    found = []
    for path in (root / Path(avro_path(subject, 1)).parent).glob("v*.avsc"):
        digits = path.stem[1:]
        if digits.isdigit():
            found.append(int(digits))
    return tuple(sorted(found))


def uri(path: str) -> str:
    """Absolute URI naming a catalogue file (used as JSON Schema ``$id`` and CloudEvents ``dataschema``)."""
    return SCHEMA_BASE_URI + path


def record_name(model_name: str) -> str:
    """Full Avro name of the record generated for a model class."""
    return f"{AVRO_NAMESPACE}.{model_name}"
