"""The codec: events to bytes and back, in the Avro single-object encoding (default), Confluent framing
(read only) or JSON, with Avro schema resolution from the writer's version into the reader's.

Shaped like confluent-kafka's serializers (callables taking a ``SerializationContext``) so that code
written against either reads the same. Why the hot path looks the way it does: schemas are parsed once;
the 10-byte single-object prefix is prebuilt per model; a memo maps each fingerprint to its (writer,
reader) pair; values of the reader's own version are read natively (``schemas.fastread``), others and all
errors by fastavro; ``decode`` returns the dict without building a pydantic model, and ``__call__`` builds
models with ``model_construct`` because Avro decoding already guarantees the types (re-validating would
cost more than decoding). JSON carries no such guarantee, so JSON values are checked with jsonschema-rs
against the released JSON Schema and then validated into the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from io import BytesIO
from typing import Any, NamedTuple, cast, get_args, get_origin

import jsonschema_rs
from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError
from fastavro.schema import to_parsing_canonical_form
from pydantic import ValidationError

from schemas import layout
from schemas.catalogue import CATALOGUE, Catalogue, Subject
from schemas.constraints import Constraints
from schemas.context import Headers, SerializationContext
from schemas.derive import optional_inner
from schemas.envelope import header, parse_ce_type
from schemas.errors import (
    CaseKeyError,
    CodecError,
    ContentTypeError,
    NotAvroError,
    SchemaValidationError,
    TruncatedError,
    UnknownSchemaError,
)
from schemas.events.base import PRODUCER_CHECKED_LATER, ChainEvent
from schemas.fastread import BodyReader, body_reader
from schemas.fingerprint import fingerprint_bytes

__all__ = [
    "AVRO",
    "JSON",
    "AvroSerializer",
    "CodecError",
    "Decoded",
    "Deserializer",
    "JsonSerializer",
    "SerializationContext",
]

AVRO = "application/avro"
JSON = "application/json"
SINGLE_OBJECT_MARKER = b"\xc3\x01"
SINGLE_OBJECT_HEADER = 10
"""Marker (2 bytes) + CRC-64-AVRO fingerprint (8 bytes, little-endian)."""
CONFLUENT_MARKER = 0
CONFLUENT_HEADER = 5
"""Magic byte 0 + schema id (4 bytes, big-endian)."""

_EncodeFailure = (TypeError, ValueError, KeyError, AttributeError, OverflowError)


class AvroSerializer:
    """Encode an event with its subject's current released schema, in single-object encoding."""

    content_type = AVRO

    def __init__(self, catalogue: Catalogue = CATALOGUE) -> None:
        self._catalogue = catalogue
        self._writers: dict[type[ChainEvent], tuple[bytes, dict[str, Any]]] = {}

    def dataschema(self, subject: str, version: int) -> str:
        """URI of the ``.avsc`` the value is written with (``ce_dataschema``)."""
        return layout.uri(layout.avro_path(subject, version))

    def _prepare(self, cls: type[ChainEvent]) -> tuple[bytes, dict[str, Any]]:
        subject = self._catalogue.for_model(cls)
        if cls.version not in subject.versions:
            raise UnknownSchemaError(
                f"{cls.__name__} is version {cls.version} but no such file is released: run `sigma schemas generate`")
        writer = (SINGLE_OBJECT_MARKER + self._catalogue.fingerprint(subject.name, cls.version),
                  self._catalogue.avro_schema(subject.name, cls.version))
        self._writers[cls] = writer
        return writer

    def __call__(self, event: ChainEvent, ctx: SerializationContext | None = None, /) -> bytes:
        """``C3 01`` + fingerprint + Avro body of ``event``."""
        cls = type(event)
        prefix, schema = self._writers.get(cls) or self._prepare(cls)
        out = BytesIO()
        out.write(prefix)
        try:
            schemaless_writer(out, schema, event.__dict__)
        except _EncodeFailure:
            raise SchemaValidationError(f"{cls.__name__} does not fit its Avro schema v{cls.version}") from None
        return out.getvalue()


class JsonSerializer:
    """Encode an event as JSON (for partners that cannot do Avro); readers validate it with JSON Schema."""

    content_type = JSON

    def __init__(self, catalogue: Catalogue = CATALOGUE) -> None:
        self._catalogue = catalogue

    def dataschema(self, subject: str, version: int) -> str:
        """URI of the JSON Schema the value follows (``ce_dataschema``)."""
        return layout.uri(layout.json_path(subject, version))

    def __call__(self, event: ChainEvent, ctx: SerializationContext | None = None, /) -> bytes:
        """The event's JSON (UTF-8); the model's own serialisation, which its JSON Schema describes."""
        cls = type(event)
        if cls.version not in self._catalogue.for_model(cls).versions:
            raise UnknownSchemaError(
                f"{cls.__name__} is version {cls.version} but no such file is released: run `sigma schemas generate`")
        return event.model_dump_json().encode()


class Decoded(NamedTuple):
    """A decoded value without a model: the validator's hot path.

    ``version`` is the writer's version; ``data`` has the reader version's shape (Avro: fastavro's types,
    enums as their string values; JSON: the model's field values). A named tuple because it is built once
    per record on the hot path, where a frozen dataclass costs measurably more.
    """

    subject: str
    version: int
    data: dict[str, Any]


_new_decoded = tuple.__new__
"""Builds a ``Decoded`` without the named tuple's Python-level ``__new__`` (hot path)."""

_EnumField = tuple[str, type[StrEnum], str]
"""(field, enum class, shape) with shape ``one``, ``list`` or ``optional``."""


def _enum_fields(model: type[ChainEvent]) -> tuple[_EnumField, ...]:
    found: list[_EnumField] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        inner = optional_inner(annotation)
        if inner is not None and isinstance(inner, type) and issubclass(inner, StrEnum):
            found.append((name, inner, "optional"))
        elif get_origin(annotation) is list and isinstance(get_args(annotation)[0], type) \
                and issubclass(get_args(annotation)[0], StrEnum):
            found.append((name, get_args(annotation)[0], "list"))
        elif isinstance(annotation, type) and issubclass(annotation, StrEnum):
            found.append((name, annotation, "one"))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to read values of one writer schema: writer, reader (None when the same) and the model."""

    name: str
    model: type[ChainEvent]
    version: int
    reader_version: int
    writer: dict[str, Any]
    reader: dict[str, Any] | None
    enums: tuple[_EnumField, ...]
    fast: BodyReader | None
    """The native reader for the common case, a writer of the reader's own version (fastavro resolves the
    others, and reads everything when the native module is not installed). It checks ``constraints`` itself
    and declines a value breaking one, which fastavro then reads and ``constraints`` names."""
    constraints: Constraints
    """The reader version's limits that Avro does not express (patterns, lengths, ranges), checked after
    decoding, so that an Avro value gets the verdict its JSON twin gets."""


class Deserializer:
    """Decode values of any released version into the reader's version (default: the latest released).

    ``reader_versions`` pins subjects to an older version (``decode`` only; models are the current version).
    ``confluent_ids`` maps Confluent schema ids to Avro schemas (dict or JSON text) for ``00``-framed values;
    such a schema must be a released version (matched by fingerprint).
    """

    def __init__(self, reader_versions: dict[str, int] | None = None,
                 confluent_ids: dict[int, dict[str, Any] | str] | None = None,
                 *, catalogue: Catalogue = CATALOGUE) -> None:
        self._catalogue = catalogue
        self._reader_versions: dict[str, int] = {}
        for name, version in (reader_versions or {}).items():
            if version not in catalogue.subject(name).versions:
                raise UnknownSchemaError(f"subject {name} has no released version v{version} to read into")
            self._reader_versions[name] = version
        self._confluent_ids = dict(confluent_ids or {})
        self._by_fingerprint: dict[bytes, _Plan] = {}
        self._by_id: dict[int, _Plan] = {}
        self._validators: dict[tuple[str, int], Any] = {}

    # -- public ---------------------------------------------------------------------------------------------

    def __call__(self, value: bytes | None, ctx: SerializationContext | None = None, /) -> ChainEvent:
        """The event as a model of its subject's current version."""
        if not value:
            raise TruncatedError("the record has no value")
        headers = ctx.headers if ctx is not None else None
        plan = self._fast_plan(value, headers)
        if plan is None:
            if self._is_json(value, headers):
                return self._json(value, headers)[2]
            plan, offset = self._framing(value)
        else:
            offset = SINGLE_OBJECT_HEADER
        data = self._body(plan, value, offset)
        model = plan.model
        if plan.reader_version != model.version:
            raise ValueError(f"reader version v{plan.reader_version} of {plan.name} is not the model's "
                             f"v{model.version}: use decode() for pinned versions")
        for name, enum, shape in plan.enums:
            raw = data[name]
            if shape == "one":
                data[name] = enum(raw)
            elif shape == "list":
                data[name] = [enum(item) for item in raw]
            elif raw is not None:
                data[name] = enum(raw)
        return model.model_construct(**data)

    def decode(self, value: bytes | None, ctx: SerializationContext | None = None, /) -> Decoded:
        """Subject, writer version and the data as a dict, without building a model."""
        return self.decode_record(value, ctx.headers if ctx is not None else None)

    def decode_record(self, value: bytes | None, headers: Headers | None) -> Decoded:
        """``decode`` of a record's value with its headers (the topic plays no part in decoding).

        The validator's hot path, so the common case (single-object value of a known writer, declared Avro
        or undeclared, that the native reader reads) is inlined here; everything else, errors included, goes
        the general way.
        """
        if not value:
            raise TruncatedError("the record has no value")
        if value[:2] == SINGLE_OBJECT_MARKER:
            plan = self._by_fingerprint.get(value[2:SINGLE_OBJECT_HEADER])
            if plan is not None and (not headers or headers[-1] == _AVRO_DECLARED or _declared_avro(headers)):
                fast = plan.fast
                data = fast.read(value, SINGLE_OBJECT_HEADER) if fast is not None else None
                if data is None:
                    data = self._body(plan, value, SINGLE_OBJECT_HEADER)
                return _new_decoded(Decoded, (plan.name, plan.version, data))
        if self._is_json(value, headers):
            subject, version, event = self._json(value, headers)
            return Decoded(subject.name, version, _plain(event))
        plan, offset = self._framing(value)
        return Decoded(plan.name, plan.version, self._body(plan, value, offset))

    # -- framing and content type ---------------------------------------------------------------------------

    def _fast_plan(self, value: bytes, headers: Headers | None) -> _Plan | None:
        """The plan of a single-object value from a known writer, declared Avro (or undeclared); else None.

        The common case in one dictionary lookup; everything else, errors included, takes the full path.
        """
        plan = self._by_fingerprint.get(value[2:SINGLE_OBJECT_HEADER]) if value[:2] == SINGLE_OBJECT_MARKER else None
        if plan is not None and headers and not _declared_avro(headers):
            return None
        return plan

    def _is_json(self, value: bytes, headers: Headers | None) -> bool:
        """Whether the value is JSON, by content-type header or (without one) by its first byte."""
        declared = header(headers, "content-type")
        if declared is None:
            return value[:1] == b"{"
        media = declared.split(b";", 1)[0].strip().lower()
        if media == b"application/avro":
            if value[:1] == b"{":
                raise ContentTypeError("the value is JSON but its content-type says application/avro")
            return False
        if media == b"application/json":
            return True
        raise ContentTypeError(f"the content-type header is neither {AVRO} nor {JSON}")

    # -- Avro -----------------------------------------------------------------------------------------------

    def _framing(self, value: bytes) -> tuple[_Plan, int]:
        """The plan for the value's writer schema and where its body starts."""
        if value[:2] == SINGLE_OBJECT_MARKER:
            if len(value) < SINGLE_OBJECT_HEADER:
                raise TruncatedError("the value ends inside the single-object header")
            fingerprint = value[2:SINGLE_OBJECT_HEADER]
            return self._by_fingerprint.get(fingerprint) or self._plan_fingerprint(fingerprint), SINGLE_OBJECT_HEADER
        if value[0] == CONFLUENT_MARKER:
            if len(value) < CONFLUENT_HEADER:
                raise TruncatedError("the value ends inside the Confluent header")
            schema_id = int.from_bytes(value[1:CONFLUENT_HEADER], "big")
            return self._by_id.get(schema_id) or self._plan_id(schema_id), CONFLUENT_HEADER
        if value == SINGLE_OBJECT_MARKER[:1]:
            raise TruncatedError("the value ends inside the single-object marker")
        raise NotAvroError("the value starts with neither the single-object marker C3 01 "
                           "nor the Confluent magic byte 00")

    @staticmethod
    def _body(plan: _Plan, value: bytes, offset: int) -> dict[str, Any]:
        """The Avro body from ``offset`` to the end, resolved into the reader schema; all of it, nothing more."""
        if plan.fast is not None:
            fast = plan.fast.read(value, offset)
            if fast is not None:  # a value keeping every constraint
                return fast
        body = BytesIO(value)
        body.seek(offset)
        try:
            data = schemaless_reader(body, plan.writer, plan.reader)
        except Exception as exc:
            raise _body_error(exc, plan) from None
        if body.tell() != len(value):
            raise _trailing(plan, len(value) - body.tell())
        broken = plan.constraints.violation(cast(dict[str, Any], data))
        if broken is not None:
            raise _invalid(plan.name, plan.reader_version, broken.field, broken.path, broken.keyword)
        return cast(dict[str, Any], data)

    def _plan(self, subject: Subject, version: int) -> _Plan:
        reader_version = self._reader_versions.get(subject.name) or subject.latest
        writer = self._catalogue.avro_schema(subject.name, version)
        reader = None if reader_version == version else self._catalogue.avro_schema(subject.name, reader_version)
        constraints = self._catalogue.constraints(subject.name, reader_version)
        fast = body_reader(self._catalogue.avro_document(subject.name, version), constraints) \
            if reader is None else None
        return _Plan(subject.name, subject.model, version, reader_version, writer, reader,
                     _enum_fields(subject.model), fast, constraints)

    def _plan_fingerprint(self, fingerprint: bytes) -> _Plan:
        found = self._catalogue.by_fingerprint(fingerprint)
        plan = self._plan(self._catalogue.subject(found.subject), found.version)
        self._by_fingerprint[bytes(fingerprint)] = plan
        return plan

    def _plan_id(self, schema_id: int) -> _Plan:
        schema = self._confluent_ids.get(schema_id)
        if schema is None:
            raise UnknownSchemaError(f"no schema is known for Confluent schema id {schema_id}")
        try:
            document = json.loads(schema) if isinstance(schema, str) else schema
            fingerprint = fingerprint_bytes(to_parsing_canonical_form(document))
        except Exception:
            raise UnknownSchemaError(f"the schema for Confluent schema id {schema_id} is not valid Avro") from None
        plan = self._by_fingerprint.get(fingerprint) or self._plan_fingerprint(fingerprint)
        self._by_id[schema_id] = plan
        return plan

    # -- JSON -----------------------------------------------------------------------------------------------

    def _json(self, value: bytes, headers: Headers | None) -> tuple[Subject, int, ChainEvent]:
        raw_type = header(headers, "ce_type")
        parsed = parse_ce_type(raw_type.decode("ascii", "replace")) if raw_type is not None else None
        if parsed is None:
            raise UnknownSchemaError("a JSON value needs a ce_type header (nl.<partner>.<subject>.v<N>) "
                                     "to find its schema")
        _, name, version = parsed
        try:
            subject = self._catalogue.subject(name)
            validator = self._validators.get((name, version)) or self._validator(name, version)
        except UnknownSchemaError:
            raise UnknownSchemaError("the ce_type header names no released subject version") from None
        try:
            document = json.loads(value)
        except ValueError:
            raise ContentTypeError("the value is not JSON although its content-type says application/json") from None
        except RecursionError:
            raise SchemaValidationError("the JSON value is nested too deeply to read") from None
        errors = list(validator.iter_errors(document))
        if errors:
            raise _first_error(errors, name, version, self._catalogue.constraints(name, version))
        try:  # the partner's right to produce is the reader's semantic check, as for Avro (same verdict)
            event = subject.model.model_validate(document, context=PRODUCER_CHECKED_LATER)
        except ValidationError as exc:
            first = exc.errors(include_input=False)[0]
            raise SchemaValidationError(f"fails the {subject.model.__name__} model: {first['msg']}",
                                        path=_json_path(list(first["loc"]))) from None
        return subject, version, event

    def _validator(self, name: str, version: int) -> Any:
        validator = jsonschema_rs.validator_for(self._catalogue.json_schema(name, version), validate_formats=True)
        self._validators[(name, version)] = validator
        return validator


def _plain(event: ChainEvent) -> dict[str, Any]:
    """The event's field values as Avro decoding gives them: enum members become their string values."""
    return {name: _plain_value(value) for name, value in event.__dict__.items()}


def _plain_value(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, list):
        return [_plain_value(item) for item in value]
    return value


_AVRO_DECLARED = ("content-type", AVRO.encode())
"""The content-type header as the envelope writes it, last, for Avro: ``_declared_avro`` in one comparison."""


def _declared_avro(headers: list[tuple[str, bytes]]) -> bool:
    """Whether the content-type header is exactly Avro, or absent (anything else takes the full path).

    ``headers`` is not empty. The last content-type counts; the envelope writes it last, so that header is
    looked at first, without a loop (the hot path)."""
    name, declared = headers[-1]
    if name == "content-type":
        return declared == b"application/avro"
    for key, declared in reversed(headers):
        if key == "content-type":
            return declared == b"application/avro"
    return True


def _body_error(exc: Exception, plan: _Plan) -> CodecError:
    """The typed error for a body fastavro could not read (its message may quote data, so it is dropped)."""
    if isinstance(exc, EOFError):
        return TruncatedError(f"the value ends inside the body of {plan.name} v{plan.version}")
    if isinstance(exc, SchemaResolutionError):
        return SchemaValidationError(f"{plan.name} v{plan.version} does not resolve into reader v{plan.reader_version}")
    return NotAvroError(f"the body does not decode as {plan.name} v{plan.version}")


def _trailing(plan: _Plan, left: int) -> NotAvroError:
    return NotAvroError(f"{left} bytes left after the {plan.name} v{plan.version} record")


def _invalid(name: str, version: int, field: str | None, path: str, keyword: str) -> SchemaValidationError:
    """The error for a value breaking a constraint: the same for every encoding (``case_key`` has its own code)."""
    error = CaseKeyError if field == "case_key" else SchemaValidationError
    return error(f"fails JSON Schema v{version} of {name} ({keyword})", path=path)


def _first_error(errors: list[Any], name: str, version: int, constraints: Constraints) -> SchemaValidationError:
    """The JSON Schema error of the first field in schema order: the one Avro's checks report first too."""
    order = {field: index for index, field in enumerate(constraints.fields)}

    def rank(error: Any) -> int:
        location = _error_location(error)
        return order.get(location[0], len(order)) if location and isinstance(location[0], str) else -1

    first = min(errors, key=rank)
    location = _error_location(first)
    field = location[0] if location and isinstance(location[0], str) else None
    return _invalid(name, version, field, _json_path(location), _keyword(first))


def _keyword(error: Any) -> str:
    path = list(error.schema_path)
    return str(path[-1]) if path else "schema"


def _error_location(error: Any) -> list[str | int]:
    location = list(error.instance_path)
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        location.append(str(kind.property))
    return location


def _json_path(location: list[str | int]) -> str:
    """``$.items[2]`` from a location list."""
    out = "$"
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
