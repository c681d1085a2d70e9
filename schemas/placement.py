"""Which partition a case's records belong on: Kafka's placement of keyed records, remembered per key.

Why it matters: Kafka keeps order only within a partition, so every producer, in every language, must put
a case key on the same partition of a topic (``docs/wire-contract.md``, Partitioning); a record elsewhere
may be read before an earlier event of its case. Why remembered: murmur2 in Python costs microseconds (the
native one, used when ``sigma_native`` is, far less), and a validator sees each case key many times; the
memory is bounded (forgotten at ``LIMIT`` keys).
"""

from __future__ import annotations

from struct import Struct

from schemas import native

_M = 0x5BD1E995
_SEED = 0x9747B28C
_MASK = 0xFFFFFFFF
_WORDS = {n: Struct(f"<{n}I") for n in range(64)}
"""Little-endian 32-bit word readers by word count (a case key is a few dozen bytes: 6 or 7 words)."""


def murmur2(key: bytes) -> int:
    """Kafka's murmur2 (``org.apache.kafka.common.utils.Utils.murmur2``) of ``key``, unsigned 32-bit.

    Why not kafka-python's ``murmur2``: it assembles every word from four indexed bytes and masks after each
    step (8 µs for a case key); reading the words with one ``struct`` call and masking only where a product
    can pass 32 bits gives the same hash in a quarter of the time. A test checks both agree on random keys.
    """
    length = len(key)
    words = length >> 2
    reader = _WORDS.get(words) or Struct(f"<{words}I")
    h = _SEED ^ length
    for k in reader.unpack_from(key):
        k = k * _M & _MASK
        h = h * _M & _MASK ^ (k ^ k >> 24) * _M & _MASK
    tail = length & 3
    if tail:
        h ^= int.from_bytes(key[length - tail:], "little")
        h = h * _M & _MASK
    h ^= h >> 13
    h = h * _M & _MASK
    return h ^ h >> 15


if native.UNUSED is None:
    from sigma_native import murmur2 as _murmur2
else:
    _murmur2 = murmur2
"""The murmur2 placements are computed with: ``sigma_native``'s when it is used (``schemas.native``), a few
dozen nanoseconds against microseconds, the same hash (a test checks it on random keys)."""


def kafka_partition(key: bytes, partitions: int) -> int:
    """Kafka's placement of a keyed record: ``toPositive(murmur2(key)) % partitions`` (Java's built-in partitioner)."""
    return (_murmur2(key) & 0x7FFFFFFF) % partitions


class Placement:
    """``toPositive(murmur2(key))`` per key, remembered, for checking many records' partitions.

    ``hashes`` may be read directly (the validator's hot path looks a key up there and calls ``hash`` only
    for a key it does not hold)."""

    LIMIT = 1 << 18

    def __init__(self) -> None:
        self.hashes: dict[bytes, int] = {}

    def hash(self, key: bytes) -> int:
        """``toPositive(murmur2(key))``, remembered."""
        hashed = self.hashes.get(key)
        if hashed is None:
            if len(self.hashes) >= self.LIMIT:
                self.hashes.clear()
            hashed = self.hashes[key] = _murmur2(key) & 0x7FFFFFFF
        return hashed

    def partition(self, key: bytes, partitions: int) -> int:
        """The partition ``key`` belongs on among ``partitions``."""
        return self.hash(key) % partitions
