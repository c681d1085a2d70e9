"""The one record type every consuming tool shares: what Kafka delivered, losslessly.

Why a shared type: the validator must give the same verdicts online (records from a KafkaConsumer)
and offline (records read back from a recording file); both sources produce ``ConsumedRecord``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

Headers = list[tuple[str, bytes]]


class ConsumedRecord(NamedTuple):
    """One Kafka record: position, timestamp (ms since epoch) and its type, key, value, headers in order.

    A named tuple rather than a frozen dataclass: readers build one per record (a million for a recording),
    and a tuple is built several times faster — ``tuple.__new__(ConsumedRecord, fields)`` on the hottest path.
    """

    topic: str
    partition: int
    offset: int
    timestamp: int
    timestamp_type: int
    """0 = CreateTime, 1 = LogAppendTime (Kafka's numbering)."""
    key: bytes | None
    value: bytes | None
    headers: Headers
    """Every header in order, duplicates kept (required: a shared default list would be one list for all)."""

    @classmethod
    def from_kafka(cls, msg: Any) -> ConsumedRecord:
        """Build from a kafka-python ``ConsumerRecord``."""
        return cls(
            msg.topic,
            msg.partition,
            msg.offset,
            msg.timestamp,
            msg.timestamp_type,
            msg.key,
            msg.value,
            [(k, v if v is not None else b"") for k, v in (msg.headers or [])],
        )

    def header(self, name: str) -> bytes | None:
        """The last value of a header (None when absent)."""
        for key, value in reversed(self.headers):
            if key == name:
                return value
        return None
