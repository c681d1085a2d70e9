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
from typing import Any, Protocol

from schemas import layout
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


REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_dataschema", "content-type")
"""What every record carries exactly once (``headers`` writes them in this order; readers take any order)."""
_REQUIRED = frozenset(REQUIRED_HEADERS)


_Expected = tuple[bytes, bytes, dict[bytes | None, bytes], set[bytes | None]]
"""Per (partner, subject, version): ``ce_type``, the ``ce_source`` prefix, ``ce_dataschema`` per content-type, and
the ``ce_source`` values already found good (a partner has few systems)."""
_SOURCES = 64
"""At most this many good ``ce_source`` values are remembered per (partner, subject, version)."""


@dataclass(frozen=True, slots=True)
class HeaderProblem:
    """Why a record's headers break the contract: the code, the header, a reason without values, and the
    payload field the header must agree with (a JSON path), if any."""

    code: str
    header: str
    reason: str
    path: str | None = None


class HeaderCheck:
    """Checks a record's CloudEvents headers against its decoded payload.

    Why here: the envelope writes the headers, so it says what they must be. Why a class: the expected
    ``ce_type``, ``ce_source`` prefix and ``ce_dataschema`` are built once per (partner, subject, version)
    and reused, as this runs for every record the validator reads. Only presence is checked for ``ce_time``
    (its agreement with ``occurred_at`` would cost a timestamp format per record and guards no reader).

    Why a memory of good headers: of the seven headers, five (``ce_specversion``, ``ce_source``, ``ce_type``,
    ``ce_dataschema``, ``content-type``) take the same few values for every record of one partner's subject
    version. Once they passed every check, in the envelope's order, for that (partner, subject, version),
    the same five header pairs pass again, so a record repeating them needs only its own two checked:
    ``ce_id`` against ``event_id`` and ``ce_time`` present (and ``schema_version`` against the version).
    That is one dictionary lookup instead of a dozen comparisons (the recording reader even hands out the
    same pair objects, so the lookup compares them by identity).
    """

    GOOD = 4096
    """At most this many good header combinations are remembered (then forgotten and learnt again)."""

    def __init__(self) -> None:
        self._expected: dict[tuple[str, str, int], _Expected] = {}
        self._good: dict[Any, tuple[str, str, int]] = {}
        """Per combination of the five header pairs that repeat: the (partner, subject, version) it was good for."""

    def problem(self, headers: Headers, subject: str, version: int, data: dict[str, Any]) -> HeaderProblem | None:
        """The first thing wrong with ``headers`` of a record holding ``data`` (``subject`` v``version``)."""
        if len(headers) == 7:  # as the envelope writes them (the hot path)
            h0, h1, h2, h3, h4, h5, h6 = headers
            statics: tuple[Any, ...] | None = (h0, h2, h3, h5, h6)
            try:
                good = self._good.get(statics)
            except TypeError:  # a header that is not a (name, value) tuple: checked the long way, not kept
                good = statics = None
            if good is not None and good[0] == data["partner"] and good[1] == subject and good[2] == version \
                    and h1[0] == "ce_id" and h1[1] == data["event_id"].encode() and h4[0] == "ce_time" \
                    and data["schema_version"] == version:
                return None
            (n0, specversion), (n1, event_id), (n2, system), (n3, kind), (n4, _), (n5, dataschema), \
                (n6, content_type) = headers
            in_order = n0 == "ce_specversion" and n1 == "ce_id" and n2 == "ce_source" and n3 == "ce_type" \
                and n4 == "ce_time" and n5 == "ce_dataschema" and n6 == "content-type"
        else:
            in_order = False
        if not in_order:
            absent = _presence(headers)
            if absent is not None:
                return absent
            found = dict(headers)
            specversion, event_id, system = found["ce_specversion"], found["ce_id"], found["ce_source"]
            kind, dataschema, content_type = found["ce_type"], found["ce_dataschema"], found["content-type"]
        partner = data["partner"]
        expected = self._expected.get((partner, subject, version)) or self._expect(partner, subject, version)
        if specversion != _SPECVERSION:
            return HeaderProblem("bad-header", "ce_specversion", "ce_specversion is not 1.0")
        if kind != expected[0]:
            return HeaderProblem("header-mismatch", "ce_type", f"ce_type is not nl.<partner>.{subject}.v{version} "
                                 "with the payload's partner (subject and version of the value's schema)", "$.partner")
        if data["schema_version"] != version:
            return HeaderProblem("header-mismatch", "ce_type", f"payload schema_version is not v{version}, the "
                                 "version of ce_type and of the schema the value is written with", "$.schema_version")
        if event_id != data["event_id"].encode():
            return HeaderProblem("header-mismatch", "ce_id", "ce_id is not the payload's event_id", "$.event_id")
        if system not in expected[3]:
            origin = expected[1]
            if not system or not system.startswith(origin) or len(system) == len(origin) \
                    or b"/" in system[len(origin):]:
                return HeaderProblem("header-mismatch", "ce_source", "ce_source is not /nl/<partner>/<system> "
                                     "with the payload's partner", "$.partner")
        if dataschema != expected[2].get(content_type):
            return HeaderProblem("header-mismatch", "ce_dataschema", "ce_dataschema does not name the released "
                                 f"{subject} v{version} file of the value's content-type")
        if len(expected[3]) < _SOURCES:
            expected[3].add(system)
        if in_order and statics is not None:
            if len(self._good) >= self.GOOD:
                self._good.clear()
            self._good[statics] = (partner, subject, version)
        return None

    def _expect(self, partner: str, subject: str, version: int) -> _Expected:
        found: _Expected = (f"nl.{partner}.{subject}.v{version}".encode(), f"/nl/{partner}/".encode(),
                 {b"application/avro": layout.uri(layout.avro_path(subject, version)).encode(),
                  b"application/json": layout.uri(layout.json_path(subject, version)).encode()}, set())
        self._expected[(partner, subject, version)] = found
        return found


def _presence(headers: Headers) -> HeaderProblem | None:
    """Each required header exactly once, no other ``ce_`` header; other headers (tracing) may come along."""
    seen: dict[str, int] = {}
    for name, _ in headers:
        seen[name] = seen.get(name, 0) + 1
    for name in REQUIRED_HEADERS:
        if name not in seen:
            return HeaderProblem("missing-header", name, f"the record has no {name} header")
    for name, count in seen.items():
        if count > 1 and (name in _REQUIRED or name.startswith("ce_")):
            return HeaderProblem("bad-header", name, f"the {name} header appears {count} times")
        if name.startswith("ce_") and name not in _REQUIRED:
            return HeaderProblem("bad-header", name, f"{name} is not a header of the contract (no other ce_ headers)")
    return None
