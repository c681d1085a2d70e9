"""The envelope: Kafka key and CloudEvents 1.0 headers (binary content mode) around an encoded event.

Why binary mode: the value stays plain Avro (or JSON), readable by any Avro tool with the catalogue,
while routing facts (type, source, time, schema) travel in headers that need no decoding. Why so few
headers: everything here is visible to anyone with read access to the topic and ends up in logs and
dead-letter records, so nothing personal goes in — no V-number (the key is the pseudonymous case key),
no name, no medical text, and deliberately no ``ce_subject``, which invites exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from schemas.context import Headers, SerializationContext
from schemas.events.base import ChainEvent, Partner

_SPECVERSION = b"1.0"
DEFAULT_SYSTEM = "sigma"
"""System part of ``ce_source`` when the producing partner does not name its own system."""


class Serializer(Protocol):
    """What the envelope needs from a codec (``AvroSerializer`` or ``JsonSerializer``)."""

    content_type: str

    def dataschema(self, subject: str, version: int) -> str:
        """URI of the schema file the value is written with."""
        ...

    def __call__(self, event: ChainEvent, ctx: SerializationContext | None = None, /) -> bytes:
        """The encoded value."""
        ...


@dataclass(frozen=True, slots=True)
class Record:
    """A Kafka record ready to send: key is the case key, headers are CloudEvents binary mode."""

    topic: str
    key: bytes
    value: bytes
    headers: Headers


def source(partner: Partner, system: str = DEFAULT_SYSTEM) -> str:
    """``ce_source``: ``/nl/<partner>/<system>``."""
    return f"/nl/{partner.value}/{system}"


def ce_type(partner: Partner, subject: str, version: int) -> str:
    """``ce_type``: ``nl.<partner>.<subject>.v<N>``."""
    return f"nl.{partner.value}.{subject}.v{version}"


def parse_ce_type(value: str) -> tuple[str, str, int] | None:
    """``(partner, subject, version)`` from a ``ce_type``, or None when it is not one of ours."""
    parts = value.split(".")
    if len(parts) != 4 or parts[0] != "nl" or not parts[3].startswith("v") or not parts[3][1:].isdigit():
        return None
    return parts[1], parts[2], int(parts[3][1:])


def header(headers: Headers | None, name: str) -> bytes | None:
    """The first value of header ``name``, or None."""
    for key, value in headers or ():
        if key == name:
            return value
    return None


def rfc3339(moment: datetime) -> str:
    """An aware datetime in UTC as RFC 3339 with ``Z``."""
    if moment.tzinfo is None:
        raise ValueError("ce_time needs a timezone-aware datetime")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


_STATIC: dict[tuple[type[ChainEvent], Partner, str, str], tuple[tuple[str, bytes], ...]] = {}
"""Headers that are the same for every event of one model, partner, content type and system: built once."""


def _static(event: ChainEvent, codec: Serializer, system: str) -> tuple[tuple[str, bytes], ...]:
    cls = type(event)
    key = (cls, event.partner, codec.content_type, system)
    found = _STATIC.get(key)
    if found is None:
        found = (
            ("ce_source", source(event.partner, system).encode()),
            ("ce_type", ce_type(event.partner, cls.subject, cls.version).encode()),
            ("ce_dataschema", codec.dataschema(cls.subject, cls.version).encode()),
            ("content-type", codec.content_type.encode()),
        )
        _STATIC[key] = found
    return found


def headers(event: ChainEvent, codec: Serializer, system: str = DEFAULT_SYSTEM) -> Headers:
    """The CloudEvents headers of ``event`` as written by ``codec`` (the subject's current version)."""
    static = _static(event, codec, system)
    return [
        ("ce_specversion", _SPECVERSION),
        ("ce_id", event.event_id.encode()),
        static[0],
        static[1],
        ("ce_time", rfc3339(event.occurred_at).encode()),
        static[2],
        static[3],
    ]


def to_record(event: ChainEvent, codec: Serializer, *, system: str = DEFAULT_SYSTEM, prefix: str = "") -> Record:
    """Encode ``event`` with ``codec`` into a record for its subject's topic (``prefix`` for sandboxes)."""
    topic = prefix + type(event).topic
    hdrs = headers(event, codec, system)
    value = codec(event, SerializationContext(topic, hdrs))
    return Record(topic, event.case_key.encode("ascii"), value, hdrs)
