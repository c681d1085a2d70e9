"""Records kafka-python cannot read are handed over as poison records instead of raised from ``poll()``.

Why: kafka-python parses every record batch it fetches, and when one record cannot be parsed it raises from
``poll()`` — on every call, since the position never moves past that record — so one bad record stopped a
consumer for good, on every restart. Two kinds reach a consumer through a real broker (which checks CRCs
and structure, but not header keys or whether a client has a codec's library):

* a header key that is not UTF-8 (Kafka's protocol says String, kafka-python decodes it strictly);
* a batch compressed with a codec whose library is not installed here.

:func:`install` wraps two methods of kafka-python's ``DefaultRecordBatch`` (the v2 record format, the only
one Kafka 4 serves) so that such a record arrives like any other, with :class:`PoisonHeaders` that say what
is wrong, and the records after it are read normally:

* a record with a non-UTF-8 header key is read again here with every key decoded by ``surrogateescape``
  into a :class:`RawHeaderKey`, a ``str`` whose ``encode`` gives the original bytes back, so its dead
  letter carries exactly the header bytes the partner sent;
* whatever cannot be read at all (a batch without its codec, or a record that is still unreadable) becomes
  one record at the batch's last offset whose value is the unread bytes and whose headers name the first
  and last offset it covers: consumers move past it, and nothing is skipped without a trace.

kafka-python's own behaviour is unchanged for every readable record (the wrappers only act on the error
path). Control records (transaction markers) are not data and kafka-python skips them before any of this.
The wrapped methods are private: ``tests/integration/test_validator_faults.py`` sends each poison kind
through a real broker, so a kafka-python release that changes them fails there, not in production.
"""

from __future__ import annotations

from typing import Any

from kafka.errors import CorruptRecordError
from kafka.record.default_records import DefaultRecord, DefaultRecordBatch
from kafka.record.util import decode_varint

HEADER_KEY_NOT_UTF8 = "header-key-not-utf8"
UNREADABLE = "unreadable-batch"


class RawHeaderKey(str):
    """A header key that is not UTF-8: the undecodable bytes are kept as surrogates, and ``encode`` gives the
    original bytes back (kafka-python's producer encodes header keys with ``key.encode("utf-8")``)."""

    __slots__ = ()

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return str.encode(self, encoding, "surrogateescape")


class PoisonHeaders(list[tuple[str, bytes | None]]):
    """The headers of a record that could not be read as it should: ``code`` and ``reason`` say why."""

    __slots__ = ("code", "reason")

    def __init__(self, headers: list[tuple[str, bytes | None]], code: str, reason: str) -> None:
        super().__init__(headers)
        self.code = code
        self.reason = reason


def _read_tolerant(batch: Any, pos: int) -> tuple[DefaultRecord, int]:
    """The record at ``pos`` with header keys decoded leniently (the v2 record layout, as kafka-python's own
    ``_read_msg``); raises ValueError or IndexError when the record itself is malformed."""
    buffer = batch._buffer
    length, pos = decode_varint(buffer, pos)
    start = pos
    _, pos = decode_varint(buffer, pos)
    ts_delta, pos = decode_varint(buffer, pos)
    timestamp = batch.max_timestamp if batch.timestamp_type == 1 else batch.first_timestamp + ts_delta
    offset_delta, pos = decode_varint(buffer, pos)
    fields: list[bytes | None] = []
    for _ in range(2):
        size, pos = decode_varint(buffer, pos)
        fields.append(bytes(buffer[pos:pos + size]) if size >= 0 else None)
        pos += max(size, 0)
    count, pos = decode_varint(buffer, pos)
    headers: list[tuple[str, bytes | None]] = []
    for _ in range(count):
        size, pos = decode_varint(buffer, pos)
        raw = bytes(buffer[pos:pos + size])
        pos += size
        try:
            name: str = raw.decode("utf-8")
        except UnicodeDecodeError:
            name = RawHeaderKey(raw.decode("utf-8", "surrogateescape"))
        size, pos = decode_varint(buffer, pos)
        headers.append((name, bytes(buffer[pos:pos + size]) if size >= 0 else None))
        pos += max(size, 0)
    if pos - start != length or pos > len(buffer):
        raise ValueError("record length does not match its fields")
    if not any(isinstance(name, RawHeaderKey) for name, _ in headers):
        raise ValueError("unreadable for another reason than a header key")
    marked = PoisonHeaders(headers, HEADER_KEY_NOT_UTF8, "a header key is not UTF-8 (kept as its bytes)")
    return DefaultRecord(length, batch.base_offset + offset_delta, timestamp, batch.timestamp_type,
                         fields[0], fields[1], marked), pos


def _unreadable(batch: Any, start: int, reason: str) -> DefaultRecord:
    """One record standing for the rest of ``batch`` from buffer position ``start``: its unread bytes as the
    value, at the batch's last offset (so the position moves past the batch)."""
    first = batch.base_offset + batch._next_record_index
    last = batch.base_offset + batch.last_offset_delta
    value = bytes(batch._buffer[start:])
    batch._next_record_index = batch._num_records
    batch._pos = len(batch._buffer)
    headers = PoisonHeaders([("dlq_first_offset", str(first).encode()), ("dlq_last_offset", str(last).encode())],
                            UNREADABLE, f"offsets {first}..{last} cannot be read ({reason}); the value holds their "
                                        "bytes as stored")
    return DefaultRecord(len(value), last, batch.max_timestamp, batch.timestamp_type, None, value, headers)


_original_iter = DefaultRecordBatch.__iter__
_original_next = DefaultRecordBatch.__next__


def _iter(self: Any) -> Any:
    """The batch's records, or one unreadable record when it cannot be decompressed here."""
    try:
        return _original_iter(self)
    except Exception as exc:  # a codec library missing, or data it cannot decompress
        return iter([_unreadable(self, self.HEADER_STRUCT.size, f"{type(exc).__name__}: {exc}"[:200])])


def _next(self: Any) -> Any:
    """The next record; a record kafka-python cannot parse is read leniently, or stands for the rest."""
    start = self._pos
    try:
        return _original_next(self)
    except CorruptRecordError as exc:
        if self._next_record_index >= self._num_records:
            raise  # bytes left after the last record: a broken batch, not a record
        try:
            record, self._pos = _read_tolerant(self, start)
        except (ValueError, IndexError):
            return _unreadable(self, start, str(exc)[:200])
        self._next_record_index += 1
        return record


def install() -> None:
    """Wrap kafka-python's v2 batch reader (idempotent; every consumer in this process reads through it)."""
    DefaultRecordBatch.__iter__ = _iter
    DefaultRecordBatch.__next__ = _next
    DefaultRecordBatch.next = _next
