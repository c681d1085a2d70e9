"""Native hot paths of sigma (Rust, ``native/src``): each answers fast or returns None ("ask Python")."""

from typing import Any

class AvroReader:
    """Reads Avro bodies of one schema into the values fastavro gives; None where fastavro must answer."""

    def __init__(self, schema: str, /) -> None: ...
    def read(self, value: bytes, offset: int, /) -> dict[str, Any] | None: ...

class LineParser:
    """Parses recording record lines; None for the trailer and any line the Python reader must read."""

    def __init__(self) -> None: ...
    def parse(
        self, line: bytes, /
    ) -> tuple[str, int, int, int, int, bytes | None, bytes | None, list[tuple[str, bytes]]] | None: ...
