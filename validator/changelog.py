"""The validator's state as the records of a compacted changelog topic, and the state restored from them.

Why (issue 18): the state of a Kafka-native validator lives in Kafka, where whoever takes over a partition
finds it, and a local copy is only a cache. The changelog is co-partitioned with the chain topics: an open
case's record goes to its input partition, keyed by its case key, so a validator assigned input partitions
reads exactly the same partitions of the changelog to restore them. Compaction keeps the last value per
key; a case evicted (closed, or never handed over, a grace period ago: ``Engine.evict``) is deleted with a
tombstone, so the changelog holds open cases only and a case's data is not kept longer than needed.

Why Avro and not pickle: a changelog outlives the sigma that wrote it and may be read by another version
(or another implementation). Values use the Avro single-object encoding, as the chain's events do: ``C3 01``,
the CRC-64-AVRO fingerprint of the writer schema, then the body, with the schemas kept as files
(``validator.changelog_schema``). A record of a schema this sigma does not know is refused with one line;
one of an older released version is resolved into the current one. What goes in is what the dossier keeps:
never a V-number, name or medical free text.

Two kinds of record:

* key = the case key, value = ``case_state``: the dossier (facts per subject with their kept fields,
  event-id hashes and value digests for duplicate detection, facts delivered late) and its published
  finding, if any; on the case's input partition.
* key = ``~partition-<n>``, value = ``partition_state``: input partition n's event-time progress on every
  chain topic, the watermark when written, and its share of the counts (``Tally``); on partition n.

What a restore does not bring back: the verdicts of evicted cases (the compacted findings topic has them)
and the eviction schedule (``Engine.reschedule`` rebuilds it).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any, NamedTuple

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import to_parsing_canonical_form

from runtime.errors import SigmaError
from schemas.codec import SINGLE_OBJECT_HEADER, SINGLE_OBJECT_MARKER
from schemas.fingerprint import fingerprint_bytes
from validator import changelog_schema as files
from validator.dossier import KEEP, KEEP_NOTHING, Dossier, Fact
from validator.engine import Counters, EngineState, Tally
from validator.revision import Decided

VERSION = 1
"""The case_state and partition_state versions this sigma writes (and resolves older released ones into)."""
PARTITION_KEY = "~partition-"
"""Key prefix of the partition records: no case key starts with ``~`` (they match ``ck_[0-9a-f]{24}``)."""
_LITTLE = sys.byteorder == "little"
_KEEP = {subject: KEEP.get(subject, KEEP_NOTHING) for subject in files.subjects(files.document(files.CASE, VERSION))}
"""Per subject of the case schema: the names a fact of it keeps (the dossier's own tuple, shared by its facts)
and their getter."""
_FIX = "restore with the sigma version that wrote the changelog, or delete the changelog topic to rebuild the " \
       "state from the input topics"


class ChangelogFormatError(SigmaError):
    """A changelog value this sigma cannot read: another format, or damaged."""

    def __init__(self, message: str) -> None:
        super().__init__(message, fix=_FIX)


class ChangelogRecord(NamedTuple):
    """One record to produce to the changelog: its partition, key and value (None: a tombstone)."""

    partition: int
    key: bytes
    value: bytes | None


@dataclass
class Restored:
    """A state rebuilt from the changelog, and the findings its cases had published."""

    state: EngineState
    published: dict[str, Decided]


@dataclass(frozen=True)
class _Format:
    """One released schema: which kind and version, the parsed schema, and the single-object prefix."""

    kind: str
    version: int
    schema: Any
    prefix: bytes


def _format(kind: str, version: int) -> _Format:
    document = files.document(kind, version)
    prefix = SINGLE_OBJECT_MARKER + fingerprint_bytes(to_parsing_canonical_form(document))
    return _Format(kind, version, parse_schema(document, named_schemas={}), prefix)


_READERS = {f.prefix: f for f in (_format(kind, version) for kind in (files.CASE, files.PARTITION)
                                  for version in files.released(kind))}
"""Every released version of both kinds, by single-object prefix."""
_CASE = next(f for f in _READERS.values() if (f.kind, f.version) == (files.CASE, VERSION))
_PARTITION = next(f for f in _READERS.values() if (f.kind, f.version) == (files.PARTITION, VERSION))


def _write(fmt: _Format, body: dict[str, Any]) -> bytes:
    out = BytesIO()
    out.write(fmt.prefix)
    try:
        schemaless_writer(out, fmt.schema, body)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError):
        raise SigmaError(f"a validator state does not fit changelog {fmt.kind} v{fmt.version}",
                         fix="a kept field changed type: release a new changelog schema version "
                             "(python -m validator.changelog_schema)") from None
    return out.getvalue()


def _read(value: bytes, kind: str) -> dict[str, Any]:
    """The body of a ``kind`` value, resolved into the version this sigma writes."""
    fmt = _READERS.get(value[:SINGLE_OBJECT_HEADER])
    if fmt is None:
        found = value[2:SINGLE_OBJECT_HEADER].hex() if value[:2] == SINGLE_OBJECT_MARKER else "none"
        raise ChangelogFormatError(f"a changelog record of an unknown format version (schema fingerprint {found}; "
                                   f"this sigma reads {files.CASE} and {files.PARTITION} up to v{VERSION})")
    if fmt.kind != kind:
        raise ChangelogFormatError(f"a {fmt.kind} value under a {kind} key in the changelog")
    current = _CASE if kind == files.CASE else _PARTITION
    body = BytesIO(value)
    body.seek(SINGLE_OBJECT_HEADER)
    try:
        data = schemaless_reader(body, fmt.schema, None if fmt is current else current.schema)
    except Exception:  # fastavro's errors may quote data: only what failed is said
        raise ChangelogFormatError(f"a changelog record does not decode as {kind} v{fmt.version}") from None
    if body.tell() != len(value):
        raise ChangelogFormatError(f"a changelog record has bytes left after its {kind} v{fmt.version} body")
    assert isinstance(data, dict)
    return data


def _little(values: array[int]) -> bytes:
    """An array's items little-endian (the format's byte order, whatever the machine's)."""
    if _LITTLE:
        return values.tobytes()
    swapped = array(values.typecode, values)
    swapped.byteswap()
    return swapped.tobytes()


def _from_little(typecode: str, raw: bytes) -> array[int]:
    values = array(typecode)
    values.frombytes(raw)
    if not _LITTLE:
        values.byteswap()
    return values


def encode_case(dossier: Dossier, published: Decided | None) -> bytes:
    """The ``case_state`` value of one case."""
    body: dict[str, Any] = {"partition": dossier.partition, "ids": _little(dossier.ids),
                            "digests": _little(dossier.digests)}
    for subject, facts in dossier.facts.items():
        body[subject] = [{"seq": f.seq, "recorded_at": f.recorded_at, "partner": f.partner,
                          **dict(zip(f.names, f.values, strict=True))} for f in facts]
    body["delayed"] = None if dossier.delayed is None else \
        [{"seq": fact.seq, "progress": seen} for fact, seen in dossier.delayed]
    body["published"] = None if published is None else {
        "revision": published.revision, "facts": published.facts, "checkpoint": published.checkpoint,
        "defects": [{"rule": r, "category": c, "partner": p, "kind": k} for r, c, p, k in published.signature]}
    return _write(_CASE, body)


def decode_case(case: str, value: bytes) -> tuple[Dossier, Decided | None]:
    """The dossier of ``case`` and its published finding from its ``case_state`` value."""
    data = _read(value, files.CASE)
    found = []
    for subject, (names, getter) in _KEEP.items():
        rows = data[subject]
        if rows:
            found.append((subject, [Fact(r["recorded_at"], r["partner"], names, getter(r), r["seq"]) for r in rows]))
    found.sort(key=lambda pair: pair[1][0].seq)  # subjects in the order they first arrived, as the dossier had them
    facts = dict(found)
    every = [fact for kept in facts.values() for fact in kept]
    ids = _from_little("Q", data["ids"])
    if len(ids) != len(every):
        raise ChangelogFormatError(f"a changelog record holds {len(every)} facts but {len(ids)} event ids")
    delayed = None
    if data["delayed"] is not None:
        by_seq = {fact.seq: fact for fact in every}
        delayed = [(by_seq[row["seq"]], row["progress"]) for row in data["delayed"]]
    last: datetime | None = max((fact.recorded_at for fact in every), default=None)
    dossier = Dossier(case, facts, last, len(every), ids, _from_little("I", data["digests"]), delayed,
                      data["partition"])
    published = data["published"]
    if published is None:
        return dossier, None
    signature = tuple((d["rule"], d["category"], d["partner"], d["kind"]) for d in published["defects"])
    return dossier, Decided(published["revision"], signature, published["facts"], published["checkpoint"])


def partition_key(partition: int) -> bytes:
    """The key of input partition ``partition``'s record."""
    return f"{PARTITION_KEY}{partition}".encode()


def encode_partition(state: EngineState, partition: int) -> bytes:
    """The ``partition_state`` value of one input partition."""
    tally = state.tallies.get(partition) or Tally()
    return _write(_PARTITION, {
        "partition": partition, "watermark": state.watermark,
        "progress": {topic: at for (topic, number), at in state.progress.items() if number == partition},
        "consumed": tally.consumed, "processed": tally.processed, "duplicates": tally.duplicates,
        "dead_lettered": tally.dead_lettered, "rejections": tally.rejections,
        "late_deliveries": tally.late_deliveries, "evicted_unknown_cases": tally.evicted_unknown["cases"],
        "evicted_unknown_events": tally.evicted_unknown["events"]})


def decode_partition(value: bytes) -> tuple[int, datetime | None, dict[str, datetime], Tally]:
    """Partition number, watermark, progress per topic and tally from a ``partition_state`` value."""
    data = _read(value, files.PARTITION)
    tally = Tally(data["consumed"], data["processed"], data["duplicates"], data["dead_lettered"],
                  dict(data["rejections"]), dict(data["late_deliveries"]),
                  {"cases": data["evicted_unknown_cases"], "events": data["evicted_unknown_events"]})
    return data["partition"], data["watermark"], dict(data["progress"]), tally


def flush(state: EngineState, published: Mapping[str, Decided], partitions: Iterable[int]) -> list[ChangelogRecord]:
    """The records that bring the changelog up to ``state``: one per case touched since the last flush (a
    tombstone for each one evicted), then one per input partition in ``partitions`` (those this validator
    owns). Forgets what it took: the next flush writes only what changes after this one. The first flush of a
    state that tracked nothing (``EngineState.touched`` None) writes its partitions only: write every case
    with ``snapshot`` first."""
    records = []
    for case, partition in (state.touched or {}).items():
        dossier = state.dossiers.get(case)
        value = None if dossier is None else encode_case(dossier, published.get(case))
        records.append(ChangelogRecord(partition, case.encode(), value))
    state.touched = {}
    records.extend(ChangelogRecord(p, partition_key(p), encode_partition(state, p)) for p in partitions)
    return records


def snapshot(state: EngineState, published: Mapping[str, Decided]) -> list[ChangelogRecord]:
    """Every held case's record (a changelog started from a state built without one, or a benchmark's), and
    track the changes from now on."""
    records = [ChangelogRecord(d.partition, case.encode(), encode_case(d, published.get(case)))
               for case, d in state.dossiers.items()]
    state.touched = {}
    return records


def restore(records: Iterable[ChangelogRecord]) -> Restored:
    """The state held by changelog ``records`` as read from the partitions to restore, in offset order: the
    last value per key wins and a tombstone deletes. Engine-wide counts are the sums of the
    partitions'; the watermark is the lowest the partitions' records carry (a state not yet past it)."""
    state, published = EngineState(touched={}), {}
    watermarks: list[datetime | None] = []
    for key, value in {record.key: record.value for record in records}.items():
        if value is None:
            continue
        name = key.decode()
        if name.startswith(PARTITION_KEY):
            partition, watermark, progress, tally = decode_partition(value)
            watermarks.append(watermark)
            state.progress.update({(topic, partition): at for topic, at in progress.items()})
            state.tallies[partition] = tally
            _add(state, tally)
        else:
            dossier, decided = decode_case(name, value)
            state.dossiers[name] = dossier
            if decided is not None:
                published[name] = decided
    if watermarks and None not in watermarks:
        state.watermark = min(w for w in watermarks if w is not None)
    return Restored(state, published)


def _add(state: EngineState, tally: Tally) -> None:
    """Count one partition's tally into the engine-wide fields."""
    counters = state.counters
    for name in Counters.__dataclass_fields__:
        setattr(counters, name, getattr(counters, name) + getattr(tally, name))
    for total, part in ((state.rejections, tally.rejections), (state.late_deliveries, tally.late_deliveries),
                        (state.evicted_unknown, tally.evicted_unknown)):
        for name, count in part.items():
            total[name] = total.get(name, 0) + count
