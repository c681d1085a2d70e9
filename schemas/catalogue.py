"""The catalogue: every subject, its model, topics, audience, and the schema versions released on disk.

Why read the files, not the models: a record written last year was written with the file released then,
so decoding looks writers up among *all* released versions by fingerprint. The model describes only the
current version. Files are parsed once, lazily, and cached per catalogue.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from fastavro import parse_schema
from fastavro.schema import to_parsing_canonical_form

from schemas import derive, layout
from schemas.constraints import Constraints, compile_constraints
from schemas.errors import UnknownSchemaError
from schemas.events import EVENT_TYPES
from schemas.events.base import ChainEvent, Partner
from schemas.fingerprint import fingerprint_bytes


@dataclass(frozen=True)
class Subject:
    """One event type of the message book and the versions of its schema released on disk."""

    name: str
    model: type[ChainEvent]
    topics: Mapping[Partner, str]
    """Per producer, the topic it publishes the subject on (``chain.<producer>.<family>``)."""
    producers: frozenset[Partner]
    readers: frozenset[Partner]
    versions: tuple[int, ...]
    """Released versions found on disk, ascending (empty until ``sigma schemas generate`` ran)."""

    @property
    def latest(self) -> int:
        """The newest released version (what readers resolve into by default)."""
        if not self.versions:
            raise UnknownSchemaError(f"no released schema for subject {self.name}: run `sigma schemas generate`")
        return self.versions[-1]

    @property
    def description(self) -> str:
        """The model's docstring: what the event says."""
        return derive.doc(self.model)


class WriterSchema(NamedTuple):
    """A released schema found by fingerprint: which subject and version, and the parsed schema."""

    subject: str
    version: int
    schema: dict[str, Any]


class Catalogue:
    """Subjects of the given models, with schema files read from ``root`` (the repo root by default).

    Tests build a second catalogue in a temporary folder to prove that old records resolve into new versions.
    """

    def __init__(self, models: Iterable[type[ChainEvent]] = EVENT_TYPES, root: Path = layout.REPO_ROOT) -> None:
        self.root = root
        self._subjects: dict[str, Subject] = {}
        self._by_model: dict[type[ChainEvent], Subject] = {}
        for model in models:
            subject = Subject(model.subject, model, model.topics, model.producers, model.readers,
                              layout.released_versions(root, model.subject))
            if subject.name in self._subjects:
                raise ValueError(f"two models claim subject {subject.name}")
            self._subjects[subject.name] = subject
            self._by_model[model] = subject
        self._documents: dict[tuple[str, int], dict[str, Any]] = {}
        self._parsed: dict[tuple[str, int], dict[str, Any]] = {}
        self._json: dict[tuple[str, int], dict[str, Any]] = {}
        self._fingerprints: dict[bytes, tuple[str, int]] | None = None
        self._constraints: dict[tuple[str, int], Constraints] = {}

    def subjects(self) -> tuple[Subject, ...]:
        """All subjects, in the models' order."""
        return tuple(self._subjects.values())

    def subject(self, name: str) -> Subject:
        """The subject called ``name``."""
        try:
            return self._subjects[name]
        except KeyError:
            raise UnknownSchemaError(f"unknown subject {name!r}") from None

    def for_model(self, cls: type[ChainEvent]) -> Subject:
        """The subject a model class describes."""
        try:
            return self._by_model[cls]
        except KeyError:
            raise UnknownSchemaError(f"{cls.__name__} is not a subject of this catalogue") from None

    def _released(self, subject: str, version: int) -> None:
        if version not in self.subject(subject).versions:
            raise UnknownSchemaError(f"subject {subject} has no released version v{version}")

    def avro_document(self, subject: str, version: int) -> dict[str, Any]:
        """The released ``.avsc`` as written (not parsed by fastavro)."""
        key = (subject, version)
        if key not in self._documents:
            self._released(subject, version)
            text = (self.root / layout.avro_path(subject, version)).read_text(encoding="utf-8")
            self._documents[key] = json.loads(text)
        return self._documents[key]

    def avro_schema(self, subject: str, version: int) -> dict[str, Any]:
        """The released Avro schema parsed by fastavro (parsed once, then cached)."""
        key = (subject, version)
        if key not in self._parsed:
            parsed = parse_schema(self.avro_document(subject, version), named_schemas={})
            assert isinstance(parsed, dict)
            self._parsed[key] = parsed
        return self._parsed[key]

    def json_schema(self, subject: str, version: int) -> dict[str, Any]:
        """The released JSON Schema document."""
        key = (subject, version)
        if key not in self._json:
            self._released(subject, version)
            text = (self.root / layout.json_path(subject, version)).read_text(encoding="utf-8")
            self._json[key] = json.loads(text)
        return self._json[key]

    def constraints(self, subject: str, version: int) -> Constraints:
        """The checks of a released version's constraints that its Avro schema cannot express (compiled once)."""
        key = (subject, version)
        found = self._constraints.get(key)
        if found is None:
            found = compile_constraints(subject, version, self.json_schema(subject, version),
                                        self.avro_document(subject, version))
            self._constraints[key] = found
        return found

    def fingerprint(self, subject: str, version: int) -> bytes:
        """CRC-64-AVRO of the Parsing Canonical Form, as the 8 little-endian bytes of single-object encoding."""
        return fingerprint_bytes(to_parsing_canonical_form(self.avro_document(subject, version)))

    def by_fingerprint(self, fp: bytes) -> WriterSchema:
        """The released schema with this fingerprint, over all subjects and versions.

        Versions that differ only in docs or defaults share a canonical form; the earliest is returned,
        which decodes the same bytes identically.
        """
        if self._fingerprints is None:
            table: dict[bytes, tuple[str, int]] = {}
            for subject in self._subjects.values():
                for version in subject.versions:
                    table.setdefault(self.fingerprint(subject.name, version), (subject.name, version))
            self._fingerprints = table
        try:
            name, version = self._fingerprints[bytes(fp)]
        except KeyError:
            raise UnknownSchemaError("no released schema has this fingerprint") from None
        return WriterSchema(name, version, self.avro_schema(name, version))


CATALOGUE = Catalogue()
"""The chain's catalogue: the models of ``schemas.events`` and the files committed under ``schemas/``."""


def subjects() -> tuple[Subject, ...]:
    """All subjects of the chain's catalogue."""
    return CATALOGUE.subjects()


def subject(name: str) -> Subject:
    """The subject called ``name`` in the chain's catalogue."""
    return CATALOGUE.subject(name)


def for_model(cls: type[ChainEvent]) -> Subject:
    """The subject a model class describes."""
    return CATALOGUE.for_model(cls)


def avro_schema(subject: str, version: int) -> dict[str, Any]:
    """A released Avro schema, parsed once."""
    return CATALOGUE.avro_schema(subject, version)


def by_fingerprint(fp: bytes) -> WriterSchema:
    """The released schema (subject, version, parsed schema) with this CRC-64-AVRO fingerprint."""
    return CATALOGUE.by_fingerprint(fp)
