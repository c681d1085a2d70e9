"""``sigma schemas check --traffic``: a candidate version that would reject recorded events, or read them with
another meaning, is flagged with counts and coordinates; the released catalogue against its own traffic is not."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field

from consumers.recording import RecordingWriter
from consumers.records import ConsumedRecord
from schemas import generate, layout
from schemas.codec import AvroSerializer
from schemas.envelope import to_record
from schemas.events import Belongings, ChainEvent, Partner
from schemas.events.belongings import StorageLocation
from schemas.examples import example
from tests.clirunner import sigma


def _candidate(root: Path) -> None:  # the class keeps the record name, so v1 resolves into it
    """belongings v1 as released, and a candidate v2: at most 10 bags, and a new field with a default."""

    class Belongings(ChainEvent, subject="belongings", version=2, topic="chain.belongings",
                    producers={Partner.COA, Partner.DJI, Partner.DTV}, readers={Partner.KMAR}):
        """Belongings and baggage registered by the partner holding them."""

        items: list[str] = Field(description="Registered items (short descriptions)")
        bag_count: int = Field(ge=0, le=10, description="Number of bags")
        total_weight_kg: float = Field(ge=0, le=500, description="Total baggage weight in kilograms")
        valuables: list[str] = Field(default_factory=list, description="Valuables kept apart")
        location: StorageLocation = Field(description="Where the belongings are kept")
        sealed: bool = Field(default=False, description="The bags are sealed")

    for released in (layout.avro_path("belongings", 1), layout.json_path("belongings", 1)):
        (root / released).parent.mkdir(parents=True, exist_ok=True)
        (root / released).write_text((layout.REPO_ROOT / released).read_text())
    generate.write(root, [Belongings])


def _recording(path: Path) -> Path:
    with RecordingWriter(path, {"cluster": "test"}) as writer:
        for offset, bags in enumerate((2, 15, 3)):
            event = example(Belongings, offset).model_copy(update={"bag_count": bags})
            out = to_record(event, AvroSerializer())
            writer.write(ConsumedRecord(out.topic, 1, offset, 0, 0, out.key, out.value, out.headers))
    return path


def test_a_candidate_that_rejects_recorded_events_is_flagged_with_coordinates(tmp_path: Path) -> None:
    _candidate(tmp_path / "tree")
    recording = _recording(tmp_path / "traffic.jsonl")
    run = sigma("schemas", "check", "--traffic", str(recording), "--root", str(tmp_path / "tree"), "--format", "json")
    assert run.returncode == 1, run.stderr
    result = json.loads(run.stdout)
    rejected = [f for f in result["findings"] if f["kind"] == "rejected"]
    assert [(f["topic"], f["partition"], f["offset"], f["path"]) for f in rejected] == [
        ("chain.belongings", 1, 1, "$.bag_count")]
    assert rejected[0]["detail"].startswith("schema-invalid")
    changed = [f for f in result["findings"] if f["kind"] == "changed"]
    assert [(f["offset"], f["path"]) for f in changed] == [(0, "$.sealed"), (2, "$.sealed")]
    assert result["counts"] == {"belongings changed": 2, "belongings rejected": 1}


def test_the_released_catalogue_against_its_own_traffic_finds_nothing(tmp_path: Path) -> None:
    recording = _recording(tmp_path / "traffic.jsonl")
    run = sigma("schemas", "check", "--traffic", str(recording))  # bag_count 15 is within v1's limit of 20
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == "traffic: 3 records, 0 finding(s), 0 invalid in their own version too\n"


def test_with_against_too_json_is_one_document_naming_both_checks(tmp_path: Path) -> None:
    recording = _recording(tmp_path / "traffic.jsonl")
    run = sigma("schemas", "check", "--traffic", str(recording), "--against", str(layout.REPO_ROOT), "--format",
                "json")
    assert run.returncode == 0, run.stdout + run.stderr
    document = json.loads(run.stdout)  # one document, not two in a row
    assert set(document) == {"catalogue", "traffic"}
    assert document["traffic"]["records"] == 3 and document["traffic"]["findings"] == []


def test_traffic_in_a_format_it_does_not_speak_is_a_usage_error(tmp_path: Path) -> None:
    run = sigma("schemas", "check", "--traffic", str(_recording(tmp_path / "traffic.jsonl")), "--format", "junit")
    assert run.returncode == 2 and run.stderr.strip().splitlines() == [
        "sigma: error: --traffic reports as text or json, not junit: give --format text or json, or check "
        "--against on its own in that format"]
