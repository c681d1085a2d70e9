"""The recording file: a lossless, self-describing capture of Kafka records (format in docs/recording-format.md).

JSON Lines: a manifest line, one line per record, and a trailer with the record count so a truncated
file is detected. Keys, values and header values are base64 (binary-safe; ``null`` stays distinct from
empty); headers keep their order and duplicates. ``.gz`` and ``.zst`` names are compressed.
"""

from __future__ import annotations

import base64
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson
import zstandard

from consumers.records import ConsumedRecord
from sigma.errors import UsageError

FORMAT = "sigma-recording"
VERSION = 1


class RecordingError(UsageError):
    """A recording that cannot be read: says which line and what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message, fix="check the file, or record it again with `sigma record`")


def _open(path: Path, mode: str) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, mode + "b")  # type: ignore[return-value]
    if path.suffix == ".zst":
        if mode == "r":
            raw = zstandard.ZstdDecompressor().stream_reader(path.open("rb"), read_across_frames=True)
            return io.BufferedReader(raw, 1 << 20)
        return zstandard.ZstdCompressor(level=3).stream_writer(path.open("wb"), closefd=True)
    return path.open(mode + "b")


def _b64(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode()


def _unb64(value: str | None) -> bytes | None:
    return None if value is None else base64.b64decode(value, validate=True)


def encode_record(record: ConsumedRecord) -> bytes:
    """One record line (without the newline)."""
    return orjson.dumps({
        "topic": record.topic, "partition": record.partition, "offset": record.offset,
        "timestamp": record.timestamp, "timestamp_type": record.timestamp_type,
        "key": _b64(record.key), "value": _b64(record.value),
        "headers": [[k, _b64(v)] for k, v in record.headers],
    })


class RecordingWriter:
    """Writes a manifest, records, and on a clean close the trailer with the count."""

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self.count = 0
        self._out = _open(path, "w")
        self._write({"format": FORMAT, "version": VERSION, **manifest})

    def _write(self, obj: dict[str, Any]) -> None:
        self._out.write(orjson.dumps(obj) + b"\n")

    def write(self, record: ConsumedRecord) -> None:
        """Append one record."""
        self._out.write(encode_record(record) + b"\n")
        self.count += 1

    def close(self) -> None:
        """Write the trailer and close the file."""
        self._write({"end": True, "records": self.count})
        self._out.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    if not path.is_file():
        raise RecordingError(f"{path}: no such recording")
    try:
        with _open(path, "r") as handle:
            yield from enumerate(handle, start=1)
    except (OSError, EOFError, zstandard.ZstdError) as exc:
        raise RecordingError(f"{path}: corrupt or truncated compressed data ({type(exc).__name__})") from None


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


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest (first line) of a recording."""
    for number, line in _lines(path):
        return _manifest(path, number, line)
    raise RecordingError(f"{path}: empty file, not a sigma recording")


def read_recording(path: Path) -> Iterator[ConsumedRecord]:
    """Every record in file order; RecordingError naming the line for anything wrong, truncation included."""
    lines = _lines(path)
    first = next(lines, None)
    if first is None:
        raise RecordingError(f"{path}: empty file, not a sigma recording")
    _manifest(path, *first)
    count = 0
    number = first[0]
    for number, line in lines:
        try:
            obj = orjson.loads(line)
            if "end" in obj:
                if obj.get("records") != count:
                    raise RecordingError(f"{path}:{number}: trailer says {obj.get('records')} records, "
                                         f"file holds {count}")
                return
            yield ConsumedRecord(
                obj["topic"], obj["partition"], obj["offset"], obj["timestamp"], obj["timestamp_type"],
                _unb64(obj["key"]), _unb64(obj["value"]), [(k, _unb64(v) or b"") for k, v in obj["headers"]])
        except RecordingError:
            raise
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise RecordingError(f"{path}:{number}: corrupt record line ({type(exc).__name__})") from None
        count += 1
    raise RecordingError(f"{path}:{number}: truncated: no trailer after {count} records "
                         "(the recording did not end cleanly)")
