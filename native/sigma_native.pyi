"""Native hot paths of sigma (Rust, ``native/src``): each answers fast or returns None ("ask Python")."""

from typing import Any, Generic, TypeVar, overload

class AvroReader:
    """Reads canonical Avro bodies of one schema into fastavro's values, declining a value that breaks one of
    the record's ``checks`` (``schemas.constraints.Constraints.spec`` as JSON); None (fastavro answers) for
    the rest."""

    def __init__(self, schema: str, checks: str | None = None, /) -> None: ...
    def read(self, value: bytes, offset: int, /) -> dict[str, Any] | None: ...

_Fields = tuple[str, int, int, int, int, bytes | None, bytes | None, list[tuple[str, bytes]]]
_Record = TypeVar("_Record", bound=tuple[Any, ...])

class LineParser(Generic[_Record]):
    """Parses record lines of the usual form into ``record`` instances (plain tuples without it); None for
    the trailer and any other line (Python reads those)."""

    @overload
    def __init__(self: LineParser[_Fields], /) -> None: ...
    @overload
    def __init__(self, record: type[_Record], /) -> None: ...
    def parse(self, line: bytes, /) -> _Record | None: ...

def murmur2(key: bytes, /) -> int:
    """Kafka's murmur2 of ``key``, unsigned 32-bit (``schemas.placement.murmur2`` is the Python reference)."""
