"""Generated schema files: what the models say, committed, deterministic, and released versions never change."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import fastavro
import jsonschema_rs
import pytest
from avro.schema import parse as apache_parse
from pydantic import Field

from schemas import families, findings, generate, layout
from schemas.errors import ImmutableVersionError
from schemas.events import EVENT_TYPES, ChainEvent, Partner
from schemas.events.base import Versioned
from schemas.examples import example, example_finding
from schemas.findings import ValidationFinding
from tests.clirunner import sigma


def _committed(path: str) -> str:
    return (layout.REPO_ROOT / path).read_text(encoding="utf-8")


def test_committed_files_are_what_the_current_models_generate() -> None:
    """Fails when a model changed without `sigma schemas generate` (or a released file was edited)."""
    rendered = generate.render_all()
    assert len(rendered) == 2 * len(EVENT_TYPES) + 2 + 1  # each event's two files, the finding's, the report's
    stale = [path for path, text in rendered.items()
             if not (layout.REPO_ROOT / path).exists() or _committed(path) != text]
    assert stale == [], "run `sigma schemas generate` (a changed model needs a new `version`)"
    assert generate.check() == []


def test_rendering_is_deterministic_and_ends_with_a_newline() -> None:
    first, second = generate.render_all(), generate.render_all()
    assert first == second
    assert list(first) == sorted(first)
    assert all(text.endswith("}\n") for text in first.values())


def _field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in schema["fields"] if f["name"] == name)


def test_avro_mapping_follows_the_contract() -> None:
    fit = json.loads(_committed("schemas/avro/fit_to_fly/v1.avsc"))
    assert fit["type"] == "record" and fit["name"] == "nl.sigma.chain.FitToFly"
    assert "never a diagnosis" in fit["doc"]
    assert _field(fit, "issued_at")["type"] == {"type": "long", "logicalType": "timestamp-micros"}
    assert _field(fit, "issued_at")["doc"] == "When the statement was issued (UTC)"
    conditions = _field(fit, "conditions")
    assert conditions["default"] == []
    assert conditions["type"]["items"]["type"] == "enum" and conditions["type"]["items"]["name"] == "FlightCondition"
    assert _field(fit, "partner")["type"]["name"] == "Partner"
    medical = json.loads(_committed("schemas/avro/medical_situation/v1.avsc"))
    assert _field(medical, "postponed_until") == {
        "name": "postponed_until", "type": ["null", {"type": "int", "logicalType": "date"}],
        "doc": "End of the postponement, if postponed", "default": None}
    booking = json.loads(_committed("schemas/avro/flight_booking/v1.avsc"))
    reason = _field(booking, "cancellation_reason")
    assert reason["type"][0] == "null" and reason["type"][1]["name"] == "CancellationReason"
    assert _field(booking, "escort_count")["type"] == "long"


def _example_json(model: type[Versioned]) -> Any:
    """The example as it travels in JSON: the finding's own encoding, an event's JSON form."""
    if model is ValidationFinding:
        return json.loads(findings.encode(example_finding()))
    assert issubclass(model, ChainEvent)
    return json.loads(example(model).model_dump_json())


@pytest.mark.parametrize("model", generate.MODELS, ids=[m.subject for m in generate.MODELS])
def test_every_released_file_is_valid_for_other_tools(model: type[Versioned]) -> None:
    avsc = _committed(layout.avro_path(model.subject, model.version))
    fastavro.parse_schema(json.loads(avsc))
    apache_parse(avsc)
    schema = json.loads(_committed(layout.json_path(model.subject, model.version)))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == layout.uri(layout.json_path(model.subject, model.version))
    assert schema["title"] == model.__name__
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    assert validator.is_valid(_example_json(model))
    assert not validator.is_valid({"event_id": "x"})


def test_the_finding_is_an_avro_record_with_nested_defect_records_and_a_strict_json_schema() -> None:
    avro = json.loads(_committed("schemas/avro/validation_finding/v1.avsc"))
    assert avro["name"] == "nl.sigma.chain.ValidationFinding"
    assert [f["name"] for f in avro["fields"]] == list(ValidationFinding.model_fields)
    defect = _field(avro, "defects")["type"]["items"]
    assert defect["type"] == "record" and defect["name"] == "Defect"
    assert [f["name"] for f in defect["fields"]] == ["rule", "category", "partner", "kind"]
    assert _field(defect, "partner")["type"]["name"] == "Partner"
    change = _field(avro, "changes")["type"]["items"]
    assert change["name"] == "DefectChange" and _field(change, "category")["type"] == "Category"  # defined once
    assert _field(avro, "watermark")["type"] == {"type": "long", "logicalType": "timestamp-micros"}
    assert _field(avro, "reason")["type"] == ["null", "string"] and "default" not in _field(avro, "reason")
    schema = json.loads(_committed("schemas/jsonschema/validation_finding/v1.json"))
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    finding = _example_json(ValidationFinding)
    assert validator.is_valid(finding)
    assert not validator.is_valid({**finding, "extra": 1})  # a field the schema does not name
    assert not validator.is_valid({**finding, "defects": [{**finding["defects"][0], "extra": 1}]})
    assert not validator.is_valid({k: v for k, v in finding.items() if k != "reason"})  # null, but present
    assert not validator.is_valid({**finding, "checkpoint": "yesterday"})
    # fastavro writes and reads the finding with the released Avro schema
    buffer = io.BytesIO()
    parsed = fastavro.parse_schema(avro)
    fastavro.schemaless_writer(buffer, parsed, example_finding().model_dump())
    buffer.seek(0)
    assert ValidationFinding.model_validate(fastavro.schemaless_reader(buffer, parsed)) == example_finding()


def test_the_report_schema_is_one_unversioned_file_that_generate_rewrites(tmp_path: Path) -> None:
    schema = json.loads(_committed(layout.REPORT_SCHEMA))
    assert schema["$id"] == layout.uri(layout.REPORT_SCHEMA) and schema["title"] == "Report"
    jsonschema_rs.meta.validate(schema)
    root = _copy_catalogue(tmp_path)
    (root / layout.REPORT_SCHEMA).write_text("{}\n")
    assert [(p.path, p.kind) for p in generate.check(root)] == [(layout.REPORT_SCHEMA, "stale")]
    assert generate.write(root) == [layout.REPORT_SCHEMA]  # not a released version: rewritten, not refused
    assert generate.check(root) == []


def _changed_fit_to_fly(version: int) -> type[ChainEvent]:
    class FitToFly(ChainEvent, subject="fit_to_fly", version=version, family=families.FIT_TO_FLY,
                   producers={Partner.MEDICAL}, readers={Partner.KMAR}):
        """A doctor's fit-to-fly statement."""

        fit: bool = Field(description="Fit to fly")
        remarks: str | None = Field(default=None, description="Added later")

    return FitToFly


def _copy_catalogue(tmp_path: Path) -> Path:
    shutil.copytree(layout.REPO_ROOT / "schemas" / "avro", tmp_path / "schemas" / "avro")
    shutil.copytree(layout.REPO_ROOT / "schemas" / "jsonschema", tmp_path / "schemas" / "jsonschema")
    return tmp_path


def test_a_changed_model_with_the_same_version_is_refused(tmp_path: Path) -> None:
    root = _copy_catalogue(tmp_path)
    changed = _changed_fit_to_fly(1)
    problems = generate.check(root, [changed])
    assert {(p.path, p.kind) for p in problems} == {("schemas/avro/fit_to_fly/v1.avsc", "stale"),
                                                   ("schemas/jsonschema/fit_to_fly/v1.json", "stale")}
    before = (root / "schemas/avro/fit_to_fly/v1.avsc").read_text()
    with pytest.raises(ImmutableVersionError, match="released version v1 of fit_to_fly is immutable; bump `version`"):
        generate.write(root, [changed])
    assert (root / "schemas/avro/fit_to_fly/v1.avsc").read_text() == before


def test_a_bumped_version_is_written_next_to_the_released_one(tmp_path: Path) -> None:
    root = _copy_catalogue(tmp_path)
    before = (root / "schemas/avro/fit_to_fly/v1.avsc").read_text()
    written = generate.write(root, [_changed_fit_to_fly(2)])
    assert written == ["schemas/avro/fit_to_fly/v2.avsc", "schemas/jsonschema/fit_to_fly/v2.json"]
    assert (root / "schemas/avro/fit_to_fly/v1.avsc").read_text() == before
    assert generate.write(root, [_changed_fit_to_fly(2)]) == []  # idempotent


def test_cli_generate_check_passes_on_the_repo_and_fails_listing_stale_files(tmp_path: Path) -> None:
    ok = sigma("schemas", "generate", "--check")
    assert ok.returncode == 0, ok.stderr
    assert "up to date" in ok.stdout
    root = _copy_catalogue(tmp_path)
    target = root / "schemas/avro/belongings/v1.avsc"
    target.write_text(target.read_text().replace("Number of bags", "Bags"))
    (root / "schemas/jsonschema/escort_plan/v1.json").unlink()
    bad = sigma("schemas", "generate", "--check", "--root", str(root))
    assert bad.returncode == 1
    assert "stale: schemas/avro/belongings/v1.avsc" in bad.stdout
    assert "missing: schemas/jsonschema/escort_plan/v1.json" in bad.stdout
    refused = sigma("schemas", "generate", "--root", str(root))
    assert refused.returncode == 1
    assert "released version v1 of belongings is immutable" in refused.stderr
    assert "bump `version`" in refused.stderr
    assert not (root / "schemas/jsonschema/escort_plan/v1.json").exists()  # nothing written when refusing
