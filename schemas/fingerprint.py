"""CRC-64-AVRO, the 64-bit Rabin fingerprint the Avro specification defines for single-object encoding.

Written from the specification's reference code (``SchemaNormalization``), not borrowed from a library,
so the tests can check it against fastavro's and Apache Avro's own implementations.
"""

from __future__ import annotations

EMPTY = 0xC15D213AA4D7A795
_MASK = 0xFFFFFFFFFFFFFFFF


def _table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
        table.append(fp & _MASK)
    return tuple(table)


_TABLE = _table()


def crc64_avro(data: bytes) -> int:
    """The CRC-64-AVRO fingerprint of ``data`` as an unsigned 64-bit integer."""
    fp = EMPTY
    for byte in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ byte) & 0xFF]
    return fp


def fingerprint_bytes(canonical_form: str) -> bytes:
    """The 8 bytes written after ``C3 01``: the fingerprint of the Parsing Canonical Form, little-endian."""
    return crc64_avro(canonical_form.encode("utf-8")).to_bytes(8, "little")
