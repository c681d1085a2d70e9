"""The typed Python API: events are built as models, and a bad one is refused with an error naming the field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.events import EVENT_TYPES, ChainEvent, FitToFly, FlightBooking, MedicalSituation, Partner
from schemas.examples import EXAMPLE_V_NUMBER, example
from schemas.families import Family

COMMON = {"event_id", "case_key", "partner", "occurred_at", "recorded_at", "schema_version"}


def _with(model: type[ChainEvent], **changes: Any) -> dict[str, Any]:
    return example(model).model_dump() | changes


def _first_error(model: type[ChainEvent], data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        model(**data)
    return dict(caught.value.errors(include_input=False)[0])


@pytest.mark.parametrize("model", EVENT_TYPES, ids=[m.subject for m in EVENT_TYPES])
def test_every_event_has_the_common_fields_and_a_version(model: type[ChainEvent]) -> None:
    assert set(model.model_fields) >= COMMON
    event = example(model)
    assert event.schema_version == model.version


def test_a_bad_field_is_named_in_the_error() -> None:
    error = _first_error(FlightBooking, _with(FlightBooking, departure_airport="Schiphol"))
    assert error["loc"] == ("departure_airport",)
    error = _first_error(FitToFly, _with(FitToFly, conditions=["parachute"]))
    assert error["loc"] == ("conditions", 0)
    error = _first_error(MedicalSituation, _with(MedicalSituation, occurred_at=datetime(2024, 1, 1)))
    assert error["loc"] == ("occurred_at",)
    missing = _with(FitToFly)
    del missing["doctor_ref"]
    assert _first_error(FitToFly, missing)["loc"] == ("doctor_ref",)


def test_the_case_key_must_be_pseudonymous() -> None:
    error = _first_error(FitToFly, _with(FitToFly, case_key=EXAMPLE_V_NUMBER))
    assert error["loc"] == ("case_key",)
    assert EXAMPLE_V_NUMBER not in str(error)


def test_only_an_owning_partner_may_produce_a_subject() -> None:
    with pytest.raises(ValidationError, match="may not produce fit_to_fly"):
        FitToFly(**_with(FitToFly, partner=Partner.KMAR))


def test_fit_to_fly_has_no_diagnosis_field() -> None:
    assert not {name for name in FitToFly.model_fields if "diagnos" in name}
    with pytest.raises(ValidationError):
        FitToFly(**_with(FitToFly, diagnosis_code="E11"))


def test_an_event_type_names_its_subject_in_its_class_line_and_none_is_forgotten() -> None:
    class Stray(ChainEvent, subject="stray", family=Family("stray", "Strays"), producers=[Partner.DTV, Partner.KMAR],
                readers=[Partner.KMAR]):
        """Not in the catalogue."""

    assert (Stray.subject, Stray.version, Stray.family.name) == ("stray", 1, "stray")
    assert Stray.topics == {Partner.DTV: "chain.dtv.stray", Partner.KMAR: "chain.kmar.stray"}  # one per producer
    assert Stray.topic_of(Partner.KMAR) == "chain.kmar.stray"
    with pytest.raises(ValueError, match="partner 'coa' may not produce stray"):
        Stray.topic_of(Partner.COA)
    assert Stray.producers == frozenset({Partner.DTV, Partner.KMAR}) and Stray.readers == frozenset({Partner.KMAR})
    assert not {"subject", "version", "family", "topics", "producers", "readers"} & set(Stray.model_fields)
    with pytest.raises(TypeError, match="must name its family, readers in its class line"):
        class Forgotten(ChainEvent, subject="forgotten", producers=[Partner.DTV]):
            """Says neither where it goes nor who may read it."""
