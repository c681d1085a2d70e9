"""Records a partner's system could send although the contract forbids it: an event in another partner's name,
or on a topic that is not its producer's.

Why here: ``schemas.envelope.to_record`` sends an event only to its partner's own topic of the subject (and a
model refuses a partner that may not produce it), so the tests of what the validator does with such records,
broker-free and on a broker, build them with the same codec and headers, placed where they say.
"""

from __future__ import annotations

from schemas.codec import AvroSerializer
from schemas.context import SerializationContext
from schemas.envelope import Record, Serializer, headers
from schemas.events import ChainEvent


def on_topic(topic: str, event: ChainEvent, codec: Serializer | None = None,
             source: bytes | None = None) -> Record:
    """``event`` encoded as the envelope would encode it, but for ``topic``; ``source``: a ``ce_source`` other
    than the payload partner's."""
    codec = codec or AvroSerializer()
    found = [(k, source if k == "ce_source" and source is not None else v) for k, v in headers(event, codec)]
    return Record(topic, event.case_key.encode("ascii"), codec(event, SerializationContext(topic, found)), found)
