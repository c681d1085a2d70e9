"""The native reader on the codec's hot path answers with fastavro's value or declines (fastavro then answers):
it never accepts what fastavro rejects, and it does answer on ordinary values, the case it exists for."""

from __future__ import annotations

import io
import random
import struct
from typing import Any

import fastavro
import pytest
from fastavro.utils import generate_many
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.catalogue import CATALOGUE
from schemas.codec import AvroSerializer, Deserializer
from schemas.constraints import Constraints, compile_constraints
from schemas.errors import NotAvroError, TruncatedError
from schemas.events import EVENT_TYPES, ChainEvent
from schemas.examples import example
from schemas.fastread import BodyReader, body_reader

pytestmark = pytest.mark.native  # without the module these fail with the reason (tests/conftest.py)

RELEASED = [(s.name, v) for s in CATALOGUE.subjects() for v in s.versions]


def _reader(subject: str, version: int) -> BodyReader:
    reader = body_reader(CATALOGUE.avro_document(subject, version))
    assert reader is not None
    return reader


def _encode(subject: str, version: int, record: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, CATALOGUE.avro_schema(subject, version), record)
    return out.getvalue()


@pytest.mark.parametrize(("subject", "version"), RELEASED, ids=[f"{s}-v{v}" for s, v in RELEASED])
def test_reads_what_fastavro_reads_for_every_released_schema(subject: str, version: int) -> None:
    reader = _reader(subject, version)
    writer = CATALOGUE.avro_schema(subject, version)
    records = list(generate_many(writer, 150))  # random values: every field, union branch and logical type
    assert records
    for record in records:
        body = _encode(subject, version, record)
        assert reader.read(body, 0) == fastavro.schemaless_reader(io.BytesIO(body), writer, None)


def test_leftover_bytes_and_cut_bodies_are_left_to_fastavro() -> None:
    value = AvroSerializer()(example(EVENT_TYPES[0]))
    reader = _reader(EVENT_TYPES[0].subject, EVENT_TYPES[0].version)
    assert reader.read(value, 10) is not None
    rng = random.Random(7)
    leftovers = [bytes([0]) * n for n in range(1, 10)] + [rng.randbytes(12)]
    for leftover in leftovers:
        assert reader.read(value + leftover, 10) is None, leftover
    for cut in range(1, len(value) - 10):
        assert reader.read(value[:-cut], 10) is None, cut


def test_the_codec_still_names_leftovers_and_truncation() -> None:
    value = AvroSerializer()(example(EVENT_TYPES[0]))
    with pytest.raises(NotAvroError, match="3 bytes left"):
        Deserializer().decode(value + b"\x00\x01\x02")
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
def test_corrupted_bytes_are_declined_or_read_as_fastavro_reads_them(model: type[ChainEvent]) -> None:
    """Every single-byte corruption of a value: the native reader declines it or gives fastavro's value. So
    taking its value without asking fastavro accepts nothing fastavro would have rejected.
    """
    value = AvroSerializer()(example(model))
    reader = _reader(model.subject, model.version)
    writer = CATALOGUE.avro_schema(model.subject, model.version)
    accepted = 0
    for position in range(10, len(value)):
        for byte in (0x00, 0x41, 0x7F, 0x80, 0xC3, 0xFF):
            corrupt = value[:position] + bytes([byte]) + value[position + 1:]
            ours = reader.read(corrupt, 10)
            assert ours is None or ours == _fastavro_whole(corrupt, writer), (position, byte)
            accepted += ours is not None
    assert accepted  # some corruptions stay canonical Avro (a changed letter): it answers those, as fastavro does


@pytest.mark.parametrize("model", EVENT_TYPES, ids=[m.subject for m in EVENT_TYPES])
def test_random_corruptions_are_declined_or_read_as_fastavro_reads_them(model: type[ChainEvent]) -> None:
    """Several bytes changed at once, cut or grown: corruptions a single-byte sweep does not reach."""
    value = AvroSerializer()(example(model))
    reader = _reader(model.subject, model.version)
    writer = CATALOGUE.avro_schema(model.subject, model.version)
    rng = random.Random(model.subject)
    for attempt in range(400):
        corrupt = bytearray(value)
        for _ in range(rng.randint(2, 5)):
            corrupt[rng.randrange(10, len(corrupt))] = rng.randrange(256)
        if attempt % 4 == 0:
            corrupt = corrupt[:rng.randrange(10, len(corrupt))] + rng.randbytes(rng.randint(0, 20))
        ours = reader.read(bytes(corrupt), 10)
        assert ours is None or ours == _fastavro_whole(bytes(corrupt), writer), (attempt, bytes(corrupt))


EVERY_KIND = {
    "type": "record", "name": "Every", "namespace": "nl.sigma.test",
    "fields": [
        {"name": "n", "type": "null"}, {"name": "b", "type": "boolean"}, {"name": "i", "type": "int"},
        {"name": "l", "type": "long"}, {"name": "f", "type": "float"}, {"name": "d", "type": "double"},
        {"name": "raw", "type": "bytes"}, {"name": "s", "type": "string"},
        {"name": "fx", "type": {"type": "fixed", "name": "Four", "size": 4}},
        {"name": "fx_again", "type": "Four"},
        {"name": "e", "type": {"type": "enum", "name": "Colour", "symbols": ["red", "green", "blue"]}},
        {"name": "e_again", "type": "nl.sigma.test.Colour"},
        {"name": "a", "type": {"type": "array", "items": "long"}},
        {"name": "m", "type": {"type": "map", "values": ["null", "string"]}},
        {"name": "u", "type": ["null", "long", "string", "Colour"]},
        {"name": "inner", "type": {"type": "record", "name": "Inner", "namespace": "other",
                                   "fields": [{"name": "x", "type": "int"}]}},
        {"name": "inners", "type": {"type": "array", "items": "other.Inner"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    ],
}
"""Every Avro type and logical type the native reader reads, named references included (the released
schemas use only some of them)."""


def test_every_kind_of_schema_node_reads_as_in_fastavro() -> None:
    reader = body_reader(EVERY_KIND)
    assert reader is not None
    parsed = fastavro.parse_schema(EVERY_KIND)
    for record in generate_many(parsed, 300):
        out = io.BytesIO()
        fastavro.schemaless_writer(out, parsed, record)
        body = out.getvalue()
        assert reader.read(body, 0) == fastavro.schemaless_reader(io.BytesIO(body), parsed, None)
        assert reader.read(body[:-1], 0) is None


def test_blocks_with_a_byte_size_and_extreme_timestamps_read_as_in_fastavro() -> None:
    """Arrays written in blocks with negative counts (followed by their byte size), and timestamps at the
    edges of Python's datetime range: read as fastavro reads them, or left to fastavro past the edge."""
    reader = body_reader({"type": "record", "name": "R", "fields": [
        {"name": "a", "type": {"type": "array", "items": "int"}},
        {"name": "t", "type": {"type": "long", "logicalType": "timestamp-micros"}}]})
    assert reader is not None
    blocked = bytes([0x03, 0x04, 0x02, 0x04]) + bytes([0x01, 0x02, 0x06]) + bytes([0x00])  # [1, 2] then [3]
    for micros in (0, -1, 253_402_300_799_999_999, -62_135_596_800_000_000):
        out = io.BytesIO()
        fastavro.schemaless_writer(out, "long", micros)
        value = blocked + out.getvalue()
        expected = fastavro.schemaless_reader(io.BytesIO(value), {"type": "record", "name": "R", "fields": [
            {"name": "a", "type": {"type": "array", "items": "int"}},
            {"name": "t", "type": {"type": "long", "logicalType": "timestamp-micros"}}]}, None)
        assert reader.read(value, 0) == expected
        assert expected["a"] == [1, 2, 3]
    too_late = io.BytesIO()
    fastavro.schemaless_writer(too_late, "long", 253_402_300_800_000_000)
    assert reader.read(blocked + too_late.getvalue(), 0) is None


def test_a_logical_type_it_does_not_read_leaves_the_schema_to_fastavro() -> None:
    assert body_reader({"type": "record", "name": "R", "fields": [
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}}]}) is None


@pytest.mark.parametrize("days", [-719_162, 2_932_896, -719_163, 2_932_897, 2**62, -(2**62)])
def test_dates_at_and_past_the_edges_of_pythons_range(days: int) -> None:
    reader = body_reader({"type": "int", "logicalType": "date"})
    assert reader is not None
    out = io.BytesIO()
    fastavro.schemaless_writer(out, "long", days)
    try:
        expected = fastavro.schemaless_reader(io.BytesIO(out.getvalue()), {"type": "int", "logicalType": "date"}, None)
    except (ValueError, OverflowError):
        expected = None
    assert reader.read(out.getvalue(), 0) == expected


COLOUR = {"type": "enum", "name": "Colour", "symbols": ["red", "green", "blue"]}
LENIENT = [  # (schema, the canonical encoding, a lenient one fastavro reads as the same or another value)
    ("boolean", b"\x01", b"\x02"),
    ("boolean", b"\x01", b"\xff"),
    ("int", b"\xfe\xff\xff\xff\x0f", b"\x80\x80\x80\x80\x10"),  # 2**31 - 1 fits, 2**31 does not
    (COLOUR, b"\x04", b"\x01"),  # blue is index 2; fastavro takes -1 as the last
    (["null", "long"], b"\x02\x02", b"\x01\x02"),  # union index -1 read as the last branch
    ("long", b"\x00", b"\x80\x00"),  # zero in two bytes
    ("long", b"\x02", b"\x82\x80\x00"),
    ("long", b"\x00", b"\x80" * 10 + b"\x00"),  # eleven bytes
    ("long", b"\xff" * 9 + b"\x01", b"\xff" * 9 + b"\x7f"),  # the smallest long; then bits past the 64th
    ({"type": "array", "items": "long"}, b"\x03\x04\x02\x04\x00", b"\x03\x00\x02\x04\x00"),  # byte size 2, not 0
    ({"type": "map", "values": "long"}, b"\x04\x02a\x02\x02b\x04\x00", b"\x04\x02a\x02\x02a\x04\x00"),  # a twice
]


@pytest.mark.parametrize(("schema", "canonical", "lenient"), LENIENT, ids=range(len(LENIENT)))
def test_what_only_fastavros_leniency_reads_is_declined(schema: Any, canonical: bytes, lenient: bytes) -> None:
    """Strict, not a copy of fastavro: the specification's encoding is read as fastavro reads it, and an
    encoding fastavro reads only by being lenient is declined (so fastavro, the reference, answers it)."""
    reader = body_reader(schema)
    assert reader is not None
    parsed = fastavro.parse_schema(schema)
    assert reader.read(canonical, 0) == fastavro.schemaless_reader(io.BytesIO(canonical), parsed, None)
    fastavro.schemaless_reader(io.BytesIO(lenient), parsed, None)  # fastavro reads it: no error here
    assert reader.read(lenient, 0) is None


@pytest.mark.parametrize("number", [0, -1, 1, 63, -64, 64, -65, 2**63 - 1, -(2**63)])
def test_longs_of_every_length_read_as_in_fastavro(number: int) -> None:
    long_schema: Any = "long"
    reader = body_reader(long_schema)
    assert reader is not None
    out = io.BytesIO()
    fastavro.schemaless_writer(out, "long", number)
    assert reader.read(out.getvalue(), 0) == number


def test_the_codec_reads_what_the_native_reader_declines_with_fastavro() -> None:
    """A last boolean byte of 0xFF: the native reader declines it, and the codec gives fastavro's value."""
    model = EVENT_TYPES[0]
    value = AvroSerializer()(example(model))
    lenient = value[:-1] + b"\xff"
    assert _reader(model.subject, model.version).read(lenient, 10) is None
    expected = _fastavro_whole(lenient, CATALOGUE.avro_schema(model.subject, model.version))
    assert expected is not None
    assert Deserializer().decode(lenient).data == expected


# -- the constraints Avro cannot express, checked natively ----------------------------------------------------

def _checked(avro_type: Any, json_schema: dict[str, Any]) -> tuple[BodyReader | None, Constraints, dict[str, Any]]:
    """A one-field record schema ``s`` with ``json_schema``'s constraints: the native reader, the Python checks,
    and the Avro schema."""
    document = {"type": "record", "name": "R", "fields": [{"name": "s", "type": avro_type}]}
    constraints = compile_constraints("r", 1, {"properties": {"s": json_schema}}, document)
    return body_reader(document, constraints), constraints, fastavro.parse_schema(document)


def _agree(reader: BodyReader, constraints: Constraints, schema: dict[str, Any], value: Any) -> bool:
    """Whether the native reader took ``value``; it must decline exactly what breaks a constraint."""
    out = io.BytesIO()
    fastavro.schemaless_writer(out, schema, {"s": value})
    ours = reader.read(out.getvalue(), 0)
    broken = constraints.violation({"s": value})
    assert (ours is None) == (broken is not None), (value, broken)
    assert ours is None or ours == {"s": value} or value != value  # NaN is never equal
    return ours is not None


def test_every_released_version_is_read_natively_with_its_constraints() -> None:
    """Every released version's constraints are within what the native reader checks, so no schema falls
    back to fastavro and Python's checks for every value (a slower validator, not another verdict)."""
    for subject, version in RELEASED:
        assert body_reader(CATALOGUE.avro_document(subject, version), CATALOGUE.constraints(subject, version)) \
            is not None, (subject, version)


PATTERNS = sorted({rule.value for subject, version in RELEASED
                   for check in CATALOGUE.constraints(subject, version).checks
                   for rule in check.rules if rule.keyword == "pattern"} | {
    "^a?b*c+$", "^[A-Z0-9]{2}[0-9]{1,4}$", "^x{2,}y{0,3}$", "^[a-]z\\.[+-/]$", "^$", "^[a-c]*[b-d]*c$"})
"""The message book's patterns and more of the subset the native reader checks (quantifiers of every kind,
classes with ranges and a dash, an escaped dot, overlapping classes that need more than one way to match)."""


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_patterns_are_matched_natively_as_python_matches_them(pattern: str, data: st.DataObject) -> None:
    reader, constraints, schema = _checked("string", {"type": "string", "pattern": pattern})
    assert reader is not None
    matching = data.draw(st.from_regex(pattern.replace("$", "\\Z"), fullmatch=True).filter(lambda v: len(v) < 128))
    assert _agree(reader, constraints, schema, matching)
    for other in (data.draw(st.text(max_size=40)), data.draw(st.text(alphabet="abcxyz-.AZ09", max_size=40)),
                  matching + "\n", matching + "é", matching[:-1], matching[1:] + matching[:1]):
        _agree(reader, constraints, schema, other)


@pytest.mark.parametrize("pattern", ["^\\d{3}$", "^a+", "a+$", "^(a|b)$", "^.$", "^[^a]$", "^a+?$", "^[\\]]$",
                                     "^a{,3}$", "^é$", "^[a-é]$", "^\\w$"])
def test_a_pattern_beyond_the_native_subset_leaves_the_schema_to_python(pattern: str) -> None:
    """Never a laxer check: the native reader is not built, and fastavro and Python's checks read it all."""
    reader, _, _ = _checked("string", {"type": "string", "pattern": pattern})
    assert reader is None


def test_long_values_of_a_pattern_of_variable_length_are_left_to_python() -> None:
    reader, constraints, schema = _checked("string", {"type": "string", "pattern": "^a+$"})
    assert reader is not None
    assert _agree(reader, constraints, schema, "a" * 127)
    out = io.BytesIO()
    fastavro.schemaless_writer(out, schema, {"s": "a" * 128})
    assert reader.read(out.getvalue(), 0) is None and constraints.violation({"s": "a" * 128}) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_lengths_count_characters_not_bytes(value: str) -> None:
    reader, constraints, schema = _checked("string", {"type": "string", "minLength": 2, "maxLength": 5})
    assert reader is not None
    _agree(reader, constraints, schema, value)


NUMBERS = [  # (Avro type, JSON Schema limits, values)
    ("int", {"minimum": 0, "maximum": 20}, [-1, 0, 20, 21, -(2**31), 2**31 - 1]),
    ("long", {"exclusiveMinimum": 0, "exclusiveMaximum": 2**53}, [0, 1, 2**53 - 1, 2**53, 2**63 - 1, -(2**63)]),
    ("long", {"minimum": 0.5, "maximum": 2.5}, [0, 1, 2, 3, 2**53 + 1, -(2**63)]),
    ("double", {"minimum": 0, "maximum": 500}, [-0.0, 0.0, -1e-300, 500.0, 500.0000001, float("nan"), float("inf")]),
    ("float", {"exclusiveMinimum": 0.1, "maximum": 1.5}, [0.1, 0.10000000149011612, 1.5, 1.5000001, float("-inf")]),
    (["null", "double"], {"anyOf": [{"type": "number", "minimum": 1.5}, {"type": "null"}]}, [None, 1.5, 1.4]),
    (["int", "null"], {"anyOf": [{"type": "null"}, {"type": "integer", "maximum": 3}]}, [None, 3, 4]),
    (["null", "string"], {"anyOf": [{"type": "string", "maxLength": 2}, {"type": "null"}]}, [None, "ab", "abc"]),
]


@pytest.mark.parametrize(("avro_type", "limits", "values"), NUMBERS, ids=range(len(NUMBERS)))
def test_ranges_are_checked_natively_as_python_checks_them(avro_type: Any, limits: dict[str, Any],
                                                           values: list[Any]) -> None:
    """Integers against integer and fractional limits, doubles and floats (the float's own rounding), NaN and
    infinities, optional fields (null is not checked): the native reader declines exactly what Python rejects."""
    reader, constraints, schema = _checked(avro_type, limits if "anyOf" in limits else {"type": "number", **limits})
    assert reader is not None
    for value in values:
        if avro_type == "float" and isinstance(value, float) and value == value:
            value = struct.unpack("<f", struct.pack("<f", value))[0]  # what the float field holds
        _agree(reader, constraints, schema, value)
