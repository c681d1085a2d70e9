"""The context a serializer or deserializer gets with each value, shaped like confluent-kafka's.

Why its own module: the envelope builds contexts and the codec reads them; neither should import the other.
"""

from __future__ import annotations

from typing import NamedTuple

Headers = list[tuple[str, bytes]]
"""Kafka headers as kafka-python gives and takes them."""


class SerializationContext(NamedTuple):
    """Topic and headers of the record a value belongs to (headers None when unknown).

    A named tuple: the validator builds one per record, and it is built in two thirds of a frozen dataclass's
    time (0.21 against 0.32 µs).
    """

    topic: str
    headers: Headers | None = None
