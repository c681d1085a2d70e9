"""The catalogue: subjects with their audience and released versions, found by name, model or fingerprint."""

from __future__ import annotations

import tomllib

import pytest

from schemas import catalogue, layout, topics
from schemas.catalogue import CATALOGUE
from schemas.errors import UnknownSchemaError
from schemas.events import EVENT_TYPES, FitToFly, MedicalDetails, Partner


def test_every_model_is_a_subject_with_a_released_version_and_a_known_topic_per_producer() -> None:
    names = [s.name for s in catalogue.subjects()]
    assert names == [m.subject for m in EVENT_TYPES]
    chain_topics = {t.name for t in topics.CHAIN_TOPICS}
    for subject in catalogue.subjects():
        assert subject.versions and subject.latest == subject.model.version
        assert set(subject.topics) == subject.producers and set(subject.topics.values()) <= chain_topics
        assert subject.producers and subject.readers
        assert subject.description


def test_lookups_by_name_model_and_fingerprint_agree() -> None:
    subject = catalogue.subject("fit_to_fly")
    assert catalogue.for_model(FitToFly) is subject
    assert subject.topics == {Partner.MEDICAL: "chain.medical.fit-to-fly"}
    found = catalogue.by_fingerprint(CATALOGUE.fingerprint("fit_to_fly", 1))
    name, version, schema = found
    assert (name, version) == ("fit_to_fly", 1)
    assert schema is catalogue.avro_schema("fit_to_fly", 1)  # parsed once, cached
    assert schema["name"] == layout.record_name("FitToFly")


def test_fingerprints_are_unique_across_all_released_versions() -> None:
    prints = [CATALOGUE.fingerprint(s.name, v) for s in catalogue.subjects() for v in s.versions]
    assert len(prints) == len(set(prints))


def test_unknown_lookups_raise_unknown_schema() -> None:
    with pytest.raises(UnknownSchemaError):
        catalogue.subject("no_such_subject")
    with pytest.raises(UnknownSchemaError):
        catalogue.by_fingerprint(bytes(8))
    with pytest.raises(UnknownSchemaError):
        catalogue.avro_schema("fit_to_fly", 99)
    with pytest.raises(UnknownSchemaError):
        catalogue.for_model(int)  # type: ignore[arg-type]


def test_medical_details_have_their_own_topic_and_a_narrow_audience() -> None:
    details = catalogue.for_model(MedicalDetails)
    assert list(details.topics.values()) == [topics.MEDICAL_DETAILS]
    assert {p.value for p in details.readers} == {"ind", "medical"}
    others = [s for s in catalogue.subjects() if topics.MEDICAL_DETAILS in s.topics.values() and s is not details]
    assert others == []


def test_compat_levels_file_defaults_to_backward() -> None:
    config = tomllib.loads((layout.REPO_ROOT / "schemas" / "compat.toml").read_text())
    assert config["default_level"] == "BACKWARD"
    assert isinstance(config["subjects"], dict)
