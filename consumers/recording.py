"""The recording file: a lossless, self-describing capture of Kafka records (format in docs/recording-format.md).

JSON Lines: a manifest line, one line per record, and a trailer with the record count so a truncated
file is detected. Keys, values and header values are base64 (binary-safe; ``null`` stays distinct from
empty); headers keep their order and duplicates. A header key that is not UTF-8 (``runtime.poison`` lets such
records through) is stored as base64 too, in a third field, so a recording keeps the bytes a partner sent.
``.gz`` and ``.zst`` names are compressed.
"""

from __future__ import annotations

import binascii
import contextlib
import gzip
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson
import zstandard

from consumers.records import ConsumedRecord
from runtime import __version__, outputs
from runtime.errors import UsageError
from runtime.poison import RawHeaderKey
from schemas import native

if native.UNUSED is None:
    from sigma_native import LineParser

FORMAT = "sigma-recording"
VERSION = 1


class RecordingError(UsageError):
    """A recording that cannot be read: says which line and what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message, fix="check the file, or record it again with `sigma record`")


def _open(path: Path, mode: str, suffix: str | None = None) -> IO[bytes]:
    """``path`` opened for reading or writing, compressed by ``suffix`` (default: the path's own)."""
    suffix = path.suffix if suffix is None else suffix
    if suffix == ".gz":
        return gzip.open(path, mode + "b")  # type: ignore[return-value]
    if suffix == ".zst":
        if mode == "r":
            raw = zstandard.ZstdDecompressor().stream_reader(path.open("rb"), read_across_frames=True)
            return io.BufferedReader(raw, 1 << 20)
        return zstandard.ZstdCompressor(level=3).stream_writer(path.open("wb"), closefd=True)
    if mode == "r":  # a 1 MiB buffer halves the cost of splitting into lines (0.34 -> 0.18 µs per record)
        return path.open("rb", buffering=1 << 20)
    return path.open("wb")  # the default buffer: a live capture reaches the disk in small steps


def _b64(value: bytes | None) -> str | None:
    return None if value is None else binascii.b2a_base64(value, newline=False).decode("ascii")


def _header(key: str, value: bytes | None) -> list[str | None]:
    """``[name, value]``, or ``[null, value, key]`` with the key's bytes in base64 when it is not UTF-8 text."""
    if isinstance(key, RawHeaderKey):
        return [None, _b64(value), _b64(key.encode())]
    return [key, _b64(value)]


def encode_record(record: ConsumedRecord) -> bytes:
    """One record line (without the newline)."""
    line = {
        "topic": record.topic, "partition": record.partition, "offset": record.offset,
        "timestamp": record.timestamp, "timestamp_type": record.timestamp_type,
        "key": _b64(record.key), "value": _b64(record.value),
        "headers": [[k, _b64(v)] for k, v in record.headers],
    }
    try:
        return orjson.dumps(line)
    except orjson.JSONEncodeError:  # a header key that is not UTF-8: rare, so not looked for on every record
        line["headers"] = [_header(k, v) for k, v in record.headers]
        return orjson.dumps(line)


class RecordingWriter:
    """Writes a manifest, records, and on a clean close the trailer with the count.

    Leaving the ``with`` block by an exception closes the file *without* the trailer, so a reader reports
    the recording as truncated instead of trusting a capture that stopped half-way. The file is written
    beside ``path`` under a temporary name and renamed onto it when closed (``runtime.outputs``); ``what``
    names the path in errors (the ``--out`` flag).
    """

    def __init__(self, path: str | Path, manifest: dict[str, Any], what: str = "") -> None:
        self.path = Path(path)
        self.what = what
        self.count = 0
        self.abandoned = False
        self._temp = outputs.temporary(self.path, what)
        try:
            self._out = _open(self._temp, "w", suffix=self.path.suffix)
            self._write({"format": FORMAT, "version": VERSION, "tool": f"sigma {__version__}",
                         "created_at": datetime.now(UTC).isoformat(),
                         **{k: v for k, v in manifest.items() if k not in ("format", "version")}})
            self._out.flush()  # the manifest is on disk at once: a live capture's temporary file shows what it records
        except OSError as exc:
            outputs.discard(self._temp)
            raise outputs.failure(self.path, what, exc) from None

    def _write(self, obj: dict[str, Any]) -> None:
        self._out.write(orjson.dumps(obj) + b"\n")

    def write(self, record: ConsumedRecord) -> None:
        """Append one record; a failed write (a full disk) is the one-line error naming the path."""
        try:
            self._out.write(encode_record(record) + b"\n")
        except OSError as exc:
            self._abandon()
            raise outputs.failure(self.path, self.what, exc) from None
        self.count += 1

    def _abandon(self) -> None:
        """Close and remove the temporary file: a file cut off mid-line must not replace anything."""
        with contextlib.suppress(OSError):
            self._out.close()
        outputs.discard(self._temp)
        self.abandoned = True

    def close(self, *, complete: bool = True) -> None:
        """Write the trailer (unless ``complete`` is False), close the file and rename it onto the path."""
        if self.abandoned:
            return
        try:
            try:
                if complete:
                    self._write({"end": True, "records": self.count})
            finally:
                self._out.close()
        except OSError as exc:
            self._abandon()
            raise outputs.failure(self.path, self.what, exc) from None
        outputs.install(self._temp, self.path, self.what)

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(complete=exc_type is None)


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Numbered lines (from 1) of a possibly compressed file; decompression failures become RecordingError."""
    if not path.is_file():
        raise RecordingError(f"{path}: no such recording")
    number = 0
    try:
        with _open(path, "r") as handle:
            for number, line in enumerate(handle, start=1):
                yield number, line
    except (OSError, EOFError, zstandard.ZstdError) as exc:
        raise RecordingError(f"{path}:{number + 1}: corrupt or truncated compressed data "
                             f"({type(exc).__name__})") from None


def _manifest(path: Path, number: int, line: bytes) -> dict[str, Any]:
    try:
        manifest = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise RecordingError(f"{path}:{number}: not a sigma recording (the first line is not JSON)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RecordingError(f"{path}:{number}: not a sigma recording (no format \"{FORMAT}\" manifest)")
    if manifest.get("version") != VERSION:
        raise RecordingError(f"{path}:{number}: unknown recording format version {manifest.get('version')!r} "
                             f"(this sigma reads version {VERSION})")
    return manifest


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest (first line) of a recording."""
    path = Path(path)
    for number, line in _lines(path):
        return _manifest(path, number, line)
    raise RecordingError(f"{path}: empty file, not a sigma recording")


def _not_native(line: bytes) -> None:
    """Stands in for the native parser when it is not used (``schemas.native``): every line is read in Python."""


def _read_header(entry: list[str | None]) -> tuple[str, bytes]:
    """A header entry of either form (``_header``); ValueError or TypeError for anything else."""
    a2b = binascii.a2b_base64
    if len(entry) == 2:
        name, value = entry
        if not isinstance(name, str):
            raise TypeError("a header name is not a string")
        return name, a2b(value or "", strict_mode=True)
    name, value, raw = entry
    if name is not None or raw is None:
        raise ValueError("a raw header key comes with a null name")
    key = RawHeaderKey(a2b(raw, strict_mode=True).decode("utf-8", "surrogateescape"))
    return key, a2b(value or "", strict_mode=True)


def _python_line(path: Path, number: int, line: bytes) -> tuple[tuple[Any, ...] | None, Any]:
    """(the record's fields, None) for a record line, (None, the parsed line) for the trailer."""
    a2b = binascii.a2b_base64  # strict mode: about twice as fast as base64.b64decode(validate=True)
    try:
        obj = orjson.loads(line)
        if "end" in obj:
            return None, obj
        key, value = obj["key"], obj["value"]
        try:
            headers = [(k, a2b(v or "", strict_mode=True)) for k, v in obj["headers"]]
        except ValueError:  # a header of the raw-key form, or a corrupt one
            headers = [_read_header(entry) for entry in obj["headers"]]
        return (obj["topic"], obj["partition"], obj["offset"], obj["timestamp"], obj["timestamp_type"],
                None if key is None else a2b(key, strict_mode=True),
                None if value is None else a2b(value, strict_mode=True), headers), None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise RecordingError(f"{path}:{number}: corrupt record line ({type(exc).__name__})") from None


def read_recording(path: str | Path) -> Iterator[ConsumedRecord]:
    """Every record in file order; RecordingError naming the line for anything wrong, truncation included.

    The loop is the hot path of offline validation (a million records should take seconds). Record lines
    are parsed by ``sigma_native.LineParser`` when it is used (``schemas.native``); any line it does not take
    (the trailer, anything unusual) is read here, where every error is named, so both ways give the same records.
    """
    path = Path(path)
    lines = _lines(path)
    first = next(lines, None)
    if first is None:
        raise RecordingError(f"{path}: empty file, not a sigma recording")
    _manifest(path, *first)
    parse = LineParser(ConsumedRecord).parse if native.UNUSED is None else _not_native
    new = tuple.__new__
    count = 0
    number = first[0]
    trailer: Any = None
    for number, line in lines:
        record = parse(line)
        if record is None:
            fields, trailer = _python_line(path, number, line)
            if fields is None:
                break
            record = new(ConsumedRecord, fields)
        yield record
        count += 1
    else:
        raise RecordingError(f"{path}:{number}: truncated: no trailer after {count} records "
                             "(the recording did not end cleanly)")
    said = trailer.get("records") if isinstance(trailer, dict) else None
    if said != count:
        raise RecordingError(f"{path}:{number}: trailer says {said} records, file holds {count}")
    extra = next(lines, None)
    if extra is not None:
        raise RecordingError(f"{path}:{extra[0]}: data after the trailer (two recordings joined?)")
