"""The cavro reader on the codec's hot path must read exactly what fastavro reads, and nothing fastavro rejects."""

from __future__ import annotations

import io
import random
from typing import Any

import fastavro
import pytest
from fastavro.utils import generate_many

from schemas.catalogue import CATALOGUE
from schemas.codec import AvroSerializer, Deserializer
from schemas.errors import NotAvroError, TruncatedError
from schemas.events import EVENT_TYPES, ChainEvent
from schemas.examples import example
from schemas.fastread import TAIL, BodyReader

RELEASED = [(s.name, v) for s in CATALOGUE.subjects() for v in s.versions]


def _encode(subject: str, version: int, record: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, CATALOGUE.avro_schema(subject, version), record)
    return out.getvalue()


@pytest.mark.parametrize(("subject", "version"), RELEASED, ids=[f"{s}-v{v}" for s, v in RELEASED])
def test_reads_what_fastavro_reads_for_every_released_schema(subject: str, version: int) -> None:
    reader = BodyReader(CATALOGUE.avro_document(subject, version))
    writer = CATALOGUE.avro_schema(subject, version)
    records = list(generate_many(writer, 150))  # random values: every field, union branch and logical type
    assert records
    for record in records:
        body = _encode(subject, version, record)
        assert reader.read(body, 0) == fastavro.schemaless_reader(io.BytesIO(body), writer, None)


def test_the_tail_has_distinct_bytes() -> None:
    """The leftover check relies on it: a leftover shorter than the tail could otherwise reproduce it."""
    assert len(set(TAIL)) == len(TAIL) == 8


def test_leftover_bytes_and_cut_bodies_are_left_to_fastavro() -> None:
    value = AvroSerializer()(example(EVENT_TYPES[0]))
    reader = BodyReader(CATALOGUE.avro_document(EVENT_TYPES[0].subject, EVENT_TYPES[0].version))
    assert reader.read(value, 10) is not None
    rng = random.Random(7)
    leftovers = [TAIL[:n] for n in range(1, 8)] + [bytes([0]) * n for n in range(1, 10)] + [rng.randbytes(12)]
    for leftover in leftovers:
        assert reader.read(value + leftover, 10) is None, leftover
    for cut in range(1, len(value) - 10):
        assert reader.read(value[:-cut], 10) is None, cut


def test_the_codec_still_names_leftovers_and_truncation() -> None:
    value = AvroSerializer()(example(EVENT_TYPES[0]))
    with pytest.raises(NotAvroError, match="3 bytes left"):
        Deserializer().decode(value + TAIL[:3])
    with pytest.raises(TruncatedError):
        Deserializer().decode(value[:-1])


def _fastavro_whole(value: bytes, writer: dict[str, Any]) -> dict[str, Any] | None:
    """fastavro's answer as the codec sees it: the record, or None when it fails or leaves bytes over."""
    body = io.BytesIO(value[10:])
    try:
        record = fastavro.schemaless_reader(body, writer, None)
    except Exception:
        return None
    return record if body.tell() == len(value) - 10 and isinstance(record, dict) else None


@pytest.mark.parametrize("model", EVENT_TYPES, ids=[m.subject for m in EVENT_TYPES])
def test_corrupted_bytes_get_the_same_answer_from_both_libraries(model: type[ChainEvent]) -> None:
    """Every single-byte corruption of a value: cavro accepts it exactly when fastavro does, with equal values.

    So taking cavro's value without asking fastavro accepts nothing fastavro would have rejected.
    """
    value = AvroSerializer()(example(model))
    reader = BodyReader(CATALOGUE.avro_document(model.subject, model.version))
    writer = CATALOGUE.avro_schema(model.subject, model.version)
    accepted = 0
    for position in range(10, len(value)):
        for byte in (0x00, 0x41, 0x7F, 0x80, 0xC3, 0xFF):
            corrupt = value[:position] + bytes([byte]) + value[position + 1:]
            ours = reader.read(corrupt, 10)
            assert ours == _fastavro_whole(corrupt, writer), (position, byte)
            accepted += ours is not None
    assert accepted  # some corruptions stay valid Avro (a changed letter): both libraries must agree on those too
