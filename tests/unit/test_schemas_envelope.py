"""The envelope: CloudEvents binary-mode headers, the pseudonymous key, and nothing personal outside the value."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from datetime import datetime

import pytest

from schemas.casekey import case_key
from schemas.codec import AvroSerializer, JsonSerializer
from schemas.envelope import Record, parse_ce_type, to_record
from schemas.events import CASE_KEY_PATTERN, EVENT_TYPES, CaseHandedOver, ChainEvent, FitToFly, MedicalDetails
from schemas.examples import EXAMPLE_CASE_KEY, EXAMPLE_SECRET, EXAMPLE_V_NUMBER, example

IDS = [m.subject for m in EVENT_TYPES]
CE_HEADERS = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_dataschema", "content-type"]


def test_case_key_is_an_hmac_of_the_v_number_and_fits_the_model_pattern() -> None:
    key = case_key("1234567890", b"chain secret")
    expected = hmac.new(b"chain secret", b"1234567890", hashlib.sha256).hexdigest()[:24]
    assert key == "ck_" + expected
    assert re.fullmatch(CASE_KEY_PATTERN, key)
    assert case_key("1234567890", b"chain secret") == key  # stable: one case, one partition
    assert case_key("1234567890", b"another secret") != key
    assert case_key("1234567891", b"chain secret") != key
    with pytest.raises(ValueError):
        case_key("1234567890", b"")


def test_headers_are_cloudevents_binary_mode_and_nothing_more() -> None:
    event = example(FitToFly)
    record = to_record(event, AvroSerializer())
    assert isinstance(record, Record)
    assert [name for name, _ in record.headers] == CE_HEADERS
    headers = {name: value.decode() for name, value in record.headers}
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_id"] == event.event_id
    uuid.UUID(headers["ce_id"])
    assert headers["ce_source"] == "/nl/medical/sigma"
    assert headers["ce_type"] == "nl.medical.fit_to_fly.v1"
    assert parse_ce_type(headers["ce_type"]) == ("medical", "fit_to_fly", 1)
    assert datetime.fromisoformat(headers["ce_time"]) == event.occurred_at
    assert headers["ce_time"].endswith("Z")
    assert headers["ce_dataschema"] == "https://sigma.example/schemas/avro/fit_to_fly/v1.avsc"
    assert headers["content-type"] == "application/avro"
    assert "ce_subject" not in headers
    assert record.topic == "chain.medical.fit-to-fly"
    assert record.key == EXAMPLE_CASE_KEY.encode()


def test_json_records_point_at_the_json_schema_and_topics_take_a_prefix() -> None:
    record = to_record(example(FitToFly), JsonSerializer(), prefix="sandbox-1.", system="medsys")
    headers = dict(record.headers)
    assert headers["content-type"] == b"application/json"
    assert headers["ce_dataschema"] == b"https://sigma.example/schemas/jsonschema/fit_to_fly/v1.json"
    assert headers["ce_source"] == b"/nl/medical/medsys"
    assert record.topic == "sandbox-1.chain.medical.fit-to-fly"


@pytest.mark.parametrize("model", EVENT_TYPES, ids=IDS)
@pytest.mark.parametrize("codec", [AvroSerializer(), JsonSerializer()], ids=["avro", "json"])
def test_no_personal_data_reaches_a_key_or_header(model: type[ChainEvent], codec: AvroSerializer) -> None:
    event = example(model)
    record = to_record(event, codec)
    outside_the_value = [record.key] + [name.encode() + b"=" + value for name, value in record.headers]
    personal = [EXAMPLE_V_NUMBER.encode(), EXAMPLE_SECRET]
    for name, value in event.__dict__.items():  # each list item on its own: "['suitcase']" is in no header anyway
        if name in {"details", "diagnosis_code", "doctor_ref", "items", "distinguishing_marks", "photo_ref",
                    "valuables"} and value is not None:
            personal += [str(item).encode() for item in (value if isinstance(value, list) else [value])]
    for blob in outside_the_value:
        for secret in personal:
            assert secret not in blob
    assert re.fullmatch(CASE_KEY_PATTERN.encode(), record.key)


def test_the_v_number_and_medical_text_are_in_the_value_only() -> None:
    handed_over = to_record(example(CaseHandedOver), JsonSerializer())
    assert EXAMPLE_V_NUMBER.encode() in handed_over.value
    details = example(MedicalDetails)
    record = to_record(details, JsonSerializer())
    assert details.details.encode() in record.value  # type: ignore[attr-defined]
    assert all(details.details.encode() not in v for _, v in record.headers)  # type: ignore[attr-defined]


def test_parse_ce_type_rejects_foreign_types() -> None:
    for value in ["com.example.thing", "nl.dtv.flight_booking", "nl.dtv.flight_booking.vX", "x.dtv.a.v1"]:
        assert parse_ce_type(value) is None
