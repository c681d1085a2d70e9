"""Which partition a case's records belong on: Kafka's placement of keyed records, remembered per key.

Why it matters: Kafka keeps order only within a partition, so every producer, in every language, must put
a case key on the same partition of a topic (``docs/wire-contract.md``, Partitioning); a record elsewhere
may be read before an earlier event of its case. Why remembered: murmur2 in Python costs microseconds,
and a validator sees each case key many times; the memory is bounded (forgotten at ``LIMIT`` keys).
"""

from __future__ import annotations

from kafka.partitioner.default import murmur2


def kafka_partition(key: bytes, partitions: int) -> int:
    """Kafka's placement of a keyed record: ``toPositive(murmur2(key)) % partitions`` (Java's built-in partitioner)."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


class Placement:
    """``toPositive(murmur2(key))`` per key, remembered, for checking many records' partitions."""

    LIMIT = 1 << 18

    def __init__(self) -> None:
        self._hashes: dict[bytes, int] = {}

    def partition(self, key: bytes, partitions: int) -> int:
        """The partition ``key`` belongs on among ``partitions``."""
        hashed = self._hashes.get(key)
        if hashed is None:
            if len(self._hashes) >= self.LIMIT:
                self._hashes.clear()
            hashed = self._hashes[key] = int(murmur2(key) & 0x7FFFFFFF)
        return hashed % partitions
