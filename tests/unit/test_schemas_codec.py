"""The codec: every event type survives the wire, other decoders agree on the bytes, old records resolve
into new versions, and every kind of bad input gets its own typed error."""

from __future__ import annotations

import io
import json
import random
import struct
from pathlib import Path
from typing import Any

import fastavro
import fastavro.schema
import pytest
from avro.schema import parse as apache_parse
from pydantic import Field, ValidationError

from schemas import families, generate, layout
from schemas.catalogue import CATALOGUE, Catalogue
from schemas.codec import AVRO, JSON, AvroSerializer, Decoded, Deserializer, JsonSerializer, SerializationContext
from schemas.envelope import to_record
from schemas.errors import (
    CodecError,
    ContentTypeError,
    NotAvroError,
    SchemaValidationError,
    TruncatedError,
    UnknownSchemaError,
)
from schemas.events import EVENT_TYPES, Belongings, ChainEvent, FitToFly, Partner
from schemas.events.belongings import StorageLocation
from schemas.examples import EXAMPLE_V_NUMBER, example
from schemas.fingerprint import crc64_avro

IDS = [m.subject for m in EVENT_TYPES]


def _ctx(content_type: str | None = None, **headers: str) -> SerializationContext:
    hdrs = [(k, v.encode()) for k, v in headers.items()]
    if content_type is not None:
        hdrs.append(("content-type", content_type.encode()))
    return SerializationContext("chain.test", hdrs)


def _avsc(subject: str, version: int = 1) -> dict[str, Any]:
    return dict(json.loads((layout.REPO_ROOT / layout.avro_path(subject, version)).read_text()))


# -- round trips ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", EVENT_TYPES, ids=IDS)
def test_every_event_type_round_trips_through_avro(model: type[ChainEvent]) -> None:
    event = example(model)
    record = to_record(event, AvroSerializer())
    back = Deserializer()(record.value, SerializationContext(record.topic, record.headers))
    assert type(back) is model
    assert back.model_dump() == event.model_dump()
    assert back == event
    for name, value in event.__dict__.items():  # enums come back as enum members, not bare strings
        assert type(back.__dict__[name]) is type(value), name


@pytest.mark.parametrize("model", EVENT_TYPES, ids=IDS)
def test_every_event_type_round_trips_through_json(model: type[ChainEvent]) -> None:
    event = example(model)
    record = to_record(event, JsonSerializer())
    assert json.loads(record.value)["event_id"] == event.event_id
    back = Deserializer()(record.value, SerializationContext(record.topic, record.headers))
    assert type(back) is model
    assert back == event


def test_decode_returns_plain_data_without_building_a_model() -> None:
    event = example(FitToFly)
    decoded = Deserializer().decode(AvroSerializer()(event))
    assert isinstance(decoded, Decoded)
    assert (decoded.subject, decoded.version) == ("fit_to_fly", 1)
    assert decoded.data["conditions"] == ["medication", "wheelchair"]
    assert decoded.data["occurred_at"] == event.occurred_at
    assert decoded.data["partner"] == "medical"


def test_decode_of_json_gives_the_same_data_as_avro() -> None:
    event = example(Belongings)
    record = to_record(event, JsonSerializer())
    from_json = Deserializer().decode(record.value, SerializationContext(record.topic, record.headers))
    from_avro = Deserializer().decode(AvroSerializer()(event))
    assert from_json.subject == from_avro.subject == "belongings"
    assert from_json.data == from_avro.data
    assert {k: type(v) for k, v in from_json.data.items()} == {k: type(v) for k, v in from_avro.data.items()}


def test_an_unchanged_field_of_a_mid_size_event_stays_exact() -> None:
    event = example(Belongings).model_copy(update={"total_weight_kg": 0.1 + 0.2, "items": ["ä ö ü – 🧳"]})
    assert Deserializer()(AvroSerializer()(event)) == event


# -- independent decoders and encoders agree on the bytes --------------------------------------------------------

def test_crc64_avro_matches_fastavro_and_apache_avro_on_every_released_schema() -> None:
    for subject in CATALOGUE.subjects():
        for version in subject.versions:
            text = (layout.REPO_ROOT / layout.avro_path(subject.name, version)).read_text()
            ours = CATALOGUE.fingerprint(subject.name, version)
            canonical = fastavro.schema.to_parsing_canonical_form(json.loads(text))
            assert ours == bytes.fromhex(fastavro.schema.fingerprint(canonical, "CRC-64-AVRO"))
            # Java (and so Schema Registry) reduce {"type": "long", "logicalType": …} to "long" in the canonical
            # form; Apache Avro's Python SDK keeps {"type": "long"}, so its CRC is compared on the canonical text.
            assert "logicalType" not in canonical
            assert ours == apache_parse(canonical).fingerprint("CRC-64-AVRO")
    # the specification's empty-input value and the fingerprint of the primitive schema "string"
    assert crc64_avro(b"") == 0xC15D213AA4D7A795
    assert apache_parse('"string"').fingerprint("CRC-64-AVRO") == crc64_avro(b'"string"').to_bytes(8, "little")


@pytest.mark.parametrize("model", EVENT_TYPES, ids=IDS)
def test_plain_fastavro_with_the_committed_avsc_reads_what_the_codec_writes(model: type[ChainEvent]) -> None:
    event = example(model)
    value = AvroSerializer()(event)
    schema = _avsc(model.subject)
    canonical = fastavro.schema.to_parsing_canonical_form(schema)
    fingerprint = bytes.fromhex(fastavro.schema.fingerprint(canonical, "CRC-64-AVRO"))
    # Avro specification, single-object encoding: C3 01, 8-byte little-endian fingerprint, then the body
    assert value[:2] == b"\xc3\x01"
    assert value[2:10] == fingerprint
    body = io.BytesIO(value[10:])
    data = fastavro.schemaless_reader(body, fastavro.parse_schema(schema))
    assert body.tell() == len(value) - 10
    assert data == event.model_dump()  # StrEnum members compare equal to the plain symbols fastavro returns


def test_the_codec_reads_what_an_independent_writer_frames_by_the_spec() -> None:
    event = example(Belongings)
    schema = _avsc("belongings")
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), event.model_dump(mode="python"))
    fingerprint = apache_parse(fastavro.schema.to_parsing_canonical_form(schema)).fingerprint("CRC-64-AVRO")
    assert Deserializer()(b"\xc3\x01" + fingerprint + out.getvalue()) == event


def test_confluent_framing_is_read_given_an_id_to_schema_map() -> None:
    event = example(FitToFly)
    schema = _avsc("fit_to_fly")
    schema_without_docs = json.loads(json.dumps(schema).replace('"doc"', '"x-doc"'))
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), event.model_dump())
    value = b"\x00" + struct.pack(">I", 42) + out.getvalue()
    assert Deserializer(confluent_ids={42: json.dumps(schema_without_docs)})(value) == event
    assert Deserializer(confluent_ids={42: schema}).decode(value).subject == "fit_to_fly"
    with pytest.raises(UnknownSchemaError, match="Confluent schema id 7"):
        Deserializer(confluent_ids={42: schema})(b"\x00" + struct.pack(">I", 7) + out.getvalue())


# -- a v1 record is read by code that knows v2 -------------------------------------------------------------------

def _belongings_v2() -> type[ChainEvent]:
    # same record name, one optional field more: a BACKWARD-compatible change
    class Belongings(ChainEvent, subject="belongings", version=2, family=families.BELONGINGS,
                     producers={Partner.COA, Partner.DJI, Partner.DTV}, readers={Partner.KMAR}):
        """Belongings and baggage registered by the partner holding them."""

        items: list[str] = Field(description="Registered items (short descriptions)")
        bag_count: int = Field(ge=0, le=20, description="Number of bags")
        total_weight_kg: float = Field(ge=0, le=500, description="Total baggage weight in kilograms")
        valuables: list[str] = Field(default_factory=list, description="Valuables kept apart")
        location: StorageLocation = Field(description="Where the belongings are kept")
        sealed_bag_ids: list[str] = Field(default_factory=list, description="Seal numbers of the bags")
        handed_over_to: Partner | None = Field(default=None, description="Partner the belongings went to")

    return Belongings


def _catalogue_with_v2(tmp_path: Path) -> tuple[Catalogue, type[ChainEvent]]:
    v2 = _belongings_v2()
    for released in (layout.avro_path("belongings", 1), layout.json_path("belongings", 1)):
        v1_file = tmp_path / released
        v1_file.parent.mkdir(parents=True)
        v1_file.write_text((layout.REPO_ROOT / released).read_text())
    generate.write(tmp_path, [v2])
    return Catalogue([v2], tmp_path), v2


def test_a_v1_record_decodes_as_v2_after_a_backward_compatible_change(tmp_path: Path) -> None:
    catalogue, v2 = _catalogue_with_v2(tmp_path)
    assert catalogue.subject("belongings").versions == (1, 2)
    old = example(Belongings)
    value = AvroSerializer()(old)  # written by today's code with the committed v1
    event = Deserializer(catalogue=catalogue)(value)
    assert type(event) is v2
    assert event.model_dump() == old.model_dump() | {"sealed_bag_ids": [], "handed_over_to": None}
    decoded = Deserializer(catalogue=catalogue).decode(value)
    assert (decoded.subject, decoded.version) == ("belongings", 1)  # written with v1, shaped as v2
    assert decoded.data["sealed_bag_ids"] == []
    pinned = Deserializer({"belongings": 1}, catalogue=catalogue).decode(value)
    assert "sealed_bag_ids" not in pinned.data


def test_a_v2_record_is_read_by_a_reader_pinned_to_v1(tmp_path: Path) -> None:
    catalogue, v2 = _catalogue_with_v2(tmp_path)
    new = v2.model_validate(example(Belongings).model_dump() | {"sealed_bag_ids": ["S-1"],
                                                                "handed_over_to": Partner.KMAR})
    value = AvroSerializer(catalogue)(new)
    assert value[2:10] == catalogue.fingerprint("belongings", 2)
    pinned = Deserializer({"belongings": 1}, catalogue=catalogue).decode(value)
    assert pinned.version == 2 and "sealed_bag_ids" not in pinned.data
    assert pinned.data["items"] == new.items  # type: ignore[attr-defined]


def test_reader_versions_must_be_released() -> None:
    with pytest.raises(UnknownSchemaError):
        Deserializer({"belongings": 9})
    with pytest.raises(UnknownSchemaError):
        Deserializer({"no_such_subject": 1})


# -- bad input: each kind its own error ------------------------------------------------------------------------

def _valid() -> bytes:
    return AvroSerializer()(example(Belongings))


BAD_AVRO: list[tuple[str, bytes, type[CodecError], str]] = [
    ("no marker", b"hello world, not avro", NotAvroError, "not-avro"),
    ("garbage after the record", _valid() + b"\x00\x01", NotAvroError, "not-avro"),
    ("unknown fingerprint", b"\xc3\x01" + bytes(8) + b"\x02", UnknownSchemaError, "unknown-schema"),
    ("unknown confluent id", b"\x00\x00\x00\x00\x07\x02", UnknownSchemaError, "unknown-schema"),
    ("empty", b"", TruncatedError, "truncated"),
    ("lone marker byte", b"\xc3", TruncatedError, "truncated"),
    ("short header", _valid()[:6], TruncatedError, "truncated"),
    ("short confluent header", b"\x00\x00\x01", TruncatedError, "truncated"),
    ("short body", _valid()[:-5], TruncatedError, "truncated"),
]


@pytest.mark.parametrize(("value", "error", "code"), [case[1:] for case in BAD_AVRO], ids=[c[0] for c in BAD_AVRO])
def test_each_kind_of_bad_avro_gets_its_own_error(value: bytes, error: type[CodecError], code: str) -> None:
    for decode in (Deserializer(), Deserializer().decode):
        with pytest.raises(error) as caught:
            decode(value, _ctx(AVRO))
        assert caught.value.code == code


def test_a_tombstone_is_truncated_not_a_crash() -> None:
    with pytest.raises(TruncatedError):
        Deserializer()(None)


def test_wrong_content_types_get_content_type_errors() -> None:
    event = example(Belongings)
    record = to_record(event, JsonSerializer())
    with pytest.raises(ContentTypeError, match="neither"):
        Deserializer()(_valid(), _ctx("text/plain"))
    with pytest.raises(ContentTypeError, match="is JSON"):
        Deserializer()(record.value, _ctx(AVRO))
    with pytest.raises(ContentTypeError, match="not JSON"):
        Deserializer()(b"{not json", _ctx(JSON, ce_type="nl.coa.belongings.v1"))
    assert Deserializer()(_valid(), _ctx("application/avro; charset=binary")) == event


def test_json_without_a_type_header_has_an_unknown_schema() -> None:
    record = to_record(example(Belongings), JsonSerializer())
    with pytest.raises(UnknownSchemaError, match="ce_type"):
        Deserializer()(record.value, _ctx(JSON))
    with pytest.raises(UnknownSchemaError):
        Deserializer()(record.value, _ctx(JSON, ce_type="nl.coa.belongings.v7"))


def _json_value(**changes: Any) -> bytes:
    document = json.loads(example(Belongings).model_dump_json())
    document.update(changes)
    return json.dumps(document).encode()


def test_json_that_fails_the_schema_names_the_field_without_echoing_the_value() -> None:
    ctx = _ctx(JSON, ce_type="nl.coa.belongings.v1")
    secret = EXAMPLE_V_NUMBER
    cases = {
        "$.case_key": _json_value(case_key=secret),
        "$.bag_count": _json_value(bag_count=99),
        "$.items[1]": _json_value(items=["ok", 5]),
        "$.location": _json_value(location="moon"),
        "$.occurred_at": _json_value(occurred_at="yesterday"),
        "$.total_weight_kg": _json_value(total_weight_kg=None),
    }
    for path, value in cases.items():
        with pytest.raises(SchemaValidationError) as caught:
            Deserializer()(value, ctx)
        assert caught.value.code == ("bad-case-key" if path == "$.case_key" else "schema-invalid")
        assert caught.value.path == path
        assert secret not in str(caught.value) and "moon" not in str(caught.value)
    missing = json.loads(_json_value())
    del missing["bag_count"]
    with pytest.raises(SchemaValidationError) as caught:
        Deserializer()(json.dumps(missing).encode(), ctx)
    assert caught.value.path == "$.bag_count"


def test_json_nested_too_deeply_is_schema_invalid_not_a_crash() -> None:
    with pytest.raises(SchemaValidationError, match="nested too deeply"):
        Deserializer()(b"[" * 100_000 + b"]" * 100_000, _ctx(JSON, ce_type="nl.coa.belongings.v1"))


def test_json_from_a_partner_that_may_not_produce_the_subject_decodes_as_avro_does() -> None:
    """Whether the partner may produce the subject is the reader's record check (``partner-not-allowed``), for
    JSON as for Avro, so both encodings get the same verdict; the codec does not judge it."""
    value = _json_value(partner="kmar")  # a valid partner, but KMar does not produce belongings
    decoded = Deserializer().decode(value, _ctx(JSON, ce_type="nl.kmar.belongings.v1"))
    assert decoded.data["partner"] == "kmar"
    avro = AvroSerializer()(Belongings.model_construct(**(example(Belongings).__dict__ | {"partner": Partner.KMAR})))
    assert Deserializer().decode(avro).data["partner"] == "kmar"
    with pytest.raises(ValidationError, match="may not produce"):  # building the model yourself still checks
        Belongings.model_validate(json.loads(value))


def test_encoding_an_event_that_does_not_fit_its_schema_is_schema_invalid() -> None:
    broken = Belongings.model_construct(**(example(Belongings).__dict__ | {"bag_count": "two"}))
    with pytest.raises(SchemaValidationError, match="does not fit"):
        AvroSerializer()(broken)


def test_a_model_outside_the_catalogue_has_no_schema() -> None:
    class Stray(FitToFly):
        pass

    with pytest.raises(UnknownSchemaError):
        AvroSerializer()(Stray(**example(FitToFly).__dict__))


def test_random_corruption_only_ever_raises_codec_errors() -> None:
    rng = random.Random(2018)
    originals = [AvroSerializer()(example(model)) for model in EVENT_TYPES]
    decoder = Deserializer()
    kinds: set[str] = set()
    for _ in range(3000):
        value = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 4)):
            if not value:
                break
            position = rng.randrange(len(value))
            action = rng.random()
            if action < 0.6:
                value[position] = rng.randrange(256)
            elif action < 0.8:
                del value[position:]
            else:
                value.insert(position, rng.randrange(256))
        try:
            decoder.decode(bytes(value))
        except CodecError as exc:
            kinds.add(exc.code)
    assert {"not-avro", "unknown-schema", "truncated"} <= kinds
