"""The context a serializer or deserializer gets with each value, shaped like confluent-kafka's.

Why its own module: the envelope builds contexts and the codec reads them; neither should import the other.
"""

from __future__ import annotations

from dataclasses import dataclass

Headers = list[tuple[str, bytes]]
"""Kafka headers as kafka-python gives and takes them."""


@dataclass(frozen=True, slots=True)
class SerializationContext:
    """Topic and headers of the record a value belongs to (headers None when unknown)."""

    topic: str
    headers: Headers | None = None
