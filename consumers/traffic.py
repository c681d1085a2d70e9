"""``sigma schemas check --traffic``: a candidate schema version against the records really sent.

Why: compatibility rules judge schemas, not data. A new version can be BACKWARD compatible and still reject
events partners send today (a tightened limit: ``bag_count`` at most 10 where 15 was allowed) or change what
they mean (a new field filled with its default for every old event). Before releasing it, every recorded
record is decoded as readers will decode it once the candidate is the latest version, and compared with the
record read in its own writer's version.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consumers.recording import read_recording
from schemas.catalogue import Catalogue
from schemas.codec import Deserializer, SerializationContext
from schemas.errors import CodecError


@dataclass(frozen=True)
class TrafficFinding:
    """A recorded record the candidate rejects, or reads with another meaning."""

    topic: str
    partition: int
    offset: int
    subject: str
    kind: str
    """``rejected`` (the candidate reader dead-letters a record its own version reads) or ``changed``."""
    detail: str
    path: str | None = None


@dataclass
class TrafficResult:
    """What the candidate does to the recording."""

    records: int = 0
    already_invalid: int = 0
    """Records that fail in their own writer's version too: not the candidate's doing."""
    findings: list[TrafficFinding] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(f"{f.subject} {f.kind}" for f in self.findings).items()))


def check_traffic(path: Path, catalogue: Catalogue) -> TrafficResult:
    """Decode every record of ``path`` with the latest version of each subject in ``catalogue`` (the candidate)
    and with the record's own writer version; report the differences."""
    candidate = Deserializer(catalogue=catalogue)
    own: dict[tuple[str, int], Deserializer] = {}
    result = TrafficResult()
    for record in read_recording(path):
        result.records += 1
        ctx = SerializationContext(record.topic, record.headers)
        written = _writer(record.value, catalogue)
        try:
            decoded = candidate.decode(record.value, ctx)
        except CodecError as exc:
            if written is None or not _reads(own, catalogue, written, record.value, ctx):
                result.already_invalid += 1
                continue
            result.findings.append(TrafficFinding(record.topic, record.partition, record.offset, written[0],
                                                  "rejected", f"{exc.code}: {exc.message}", exc.path))
            continue
        if decoded.version == catalogue.subject(decoded.subject).latest:
            continue
        as_written = _pinned(own, catalogue, (decoded.subject, decoded.version)).decode(record.value, ctx).data
        for detail, where in _differences(as_written, decoded.data):
            result.findings.append(TrafficFinding(record.topic, record.partition, record.offset, decoded.subject,
                                                  "changed", detail, where))
    return result


def _writer(value: bytes | None, catalogue: Catalogue) -> tuple[str, int] | None:
    """(subject, version) of a single-object Avro value's writer, when its fingerprint is released."""
    if not value or value[:2] != b"\xc3\x01" or len(value) < 10:
        return None
    try:
        found = catalogue.by_fingerprint(value[2:10])
    except CodecError:
        return None
    return found.subject, found.version


def _pinned(own: dict[tuple[str, int], Deserializer], catalogue: Catalogue, key: tuple[str, int]) -> Deserializer:
    if key not in own:
        own[key] = Deserializer({key[0]: key[1]}, catalogue=catalogue)
    return own[key]


def _reads(own: dict[tuple[str, int], Deserializer], catalogue: Catalogue, written: tuple[str, int],
           value: bytes | None, ctx: SerializationContext) -> bool:
    try:
        _pinned(own, catalogue, written).decode(value, ctx)
    except CodecError:
        return False
    return True


def _differences(written: dict[str, Any], read: dict[str, Any]) -> list[tuple[str, str]]:
    """What reading in the candidate changes: fields filled with a default, fields dropped, values changed."""
    found = [(f"{name} filled with its default {read[name]!r}", f"$.{name}") for name in read if name not in written]
    found += [(f"{name} dropped", f"$.{name}") for name in written if name not in read]
    found += [(f"{name} read differently", f"$.{name}") for name in read
              if name in written and read[name] != written[name]]
    return found
