"""Derive the wire schemas from the pydantic models: one Avro record and one JSON Schema per subject.

Why derive instead of writing them by hand: the model is the single source of truth, so a field, its
type and its description are stated once. The mapping is deliberately small and explicit; a type it does
not know is an error at generation time, not a silent ``string``.

Avro mapping: str → string, int → long, float → double, bool → boolean, datetime → long/timestamp-micros,
date → int/date, StrEnum → enum named after the class, a nested model → record named after the class,
``list[X]`` → array, ``X | None`` → union with null. Named types (enums, records) are defined at their first
use and referenced by name afterwards, as Avro requires.
A model default becomes the Avro default (``None`` → null first in the union, ``list`` factory → ``[]``),
which is what lets a reader of a later version fill a field an older writer did not have.
"""

from __future__ import annotations

import inspect
import types
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from schemas import layout
from schemas.errors import CatalogueError
from schemas.events.base import Versioned

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_PRIMITIVES: dict[type, str] = {str: "string", int: "long", float: "double", bool: "boolean"}


def doc(obj: type) -> str:
    """The cleaned docstring of a class (empty when it has none)."""
    return inspect.cleandoc(obj.__doc__ or "")


def optional_inner(annotation: Any) -> Any | None:
    """``X`` for ``X | None`` (or ``Optional[X]``), else None."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(get_args(annotation)) == 2:
            return args[0]
    return None


def avro_type(annotation: Any, named: set[str], where: str) -> Any:
    """The Avro type of a Python annotation; named types are defined once and referenced afterwards."""
    inner = optional_inner(annotation)
    if inner is not None:
        return ["null", avro_type(inner, named, where)]
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        return {"type": "array", "items": avro_type(item, named, where)}
    if annotation is datetime:
        return {"type": "long", "logicalType": "timestamp-micros"}
    if annotation is date:
        return {"type": "int", "logicalType": "date"}
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        if annotation.__name__ in named:
            return annotation.__name__
        named.add(annotation.__name__)
        enum: dict[str, Any] = {"type": "enum", "name": annotation.__name__}
        if doc(annotation):
            enum["doc"] = doc(annotation)
        enum["symbols"] = [member.value for member in annotation]
        return enum
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation.__name__ in named:
            return annotation.__name__
        named.add(annotation.__name__)
        return _record(annotation, named)
    if annotation in _PRIMITIVES:
        return _PRIMITIVES[annotation]
    raise CatalogueError(f"{where}: no Avro mapping for {annotation!r}; extend schemas/derive.py")


def _avro_default(field: FieldInfo, where: str) -> Any:
    value = field.get_default(call_default_factory=True)
    if isinstance(value, StrEnum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list) and all(isinstance(v, str | int | float | bool) for v in value):
        return [v.value if isinstance(v, StrEnum) else v for v in value]
    raise CatalogueError(f"{where}: default {type(value).__name__} has no Avro form; extend schemas/derive.py")


def _avro_field(name: str, field: FieldInfo, named: set[str], where: str) -> dict[str, Any]:
    schema_type = avro_type(field.annotation, named, where)
    out: dict[str, Any] = {"name": name, "type": schema_type}
    if field.description:
        out["doc"] = field.description
    if not field.is_required():
        default = _avro_default(field, where)
        if isinstance(schema_type, list) and default is not None:
            # Avro: a union's default must match its first branch, so the non-null branch goes first.
            out["type"] = [t for t in schema_type if t != "null"] + ["null"]
        out["default"] = default
    return out


def _record(model: type[BaseModel], named: set[str], name: str | None = None) -> dict[str, Any]:
    fields = [_avro_field(field, info, named, f"{model.__name__}.{field}")
              for field, info in model.model_fields.items()]
    return {"type": "record", "name": name or model.__name__, "doc": doc(model), "fields": fields}


def avro_schema(model: type[Versioned]) -> dict[str, Any]:
    """The Avro record for a model's current version (``nl.sigma.chain.<ModelClassName>``)."""
    return _record(model, set(), layout.record_name(model.__name__))


def json_schema(model: type[Versioned]) -> dict[str, Any]:
    """The JSON Schema 2020-12 of a model's current version, with ``$id`` (its file's URI) and title."""
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["$id"] = layout.uri(layout.json_path(model.subject, model.version))
    schema["title"] = model.__name__
    return schema
