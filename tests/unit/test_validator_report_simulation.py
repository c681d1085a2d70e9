"""The report of simulated data shows the simulator's fidelity table (``sigma validate --simulation-summary``).

Offline, through the real CLI: a recording of a simulated stream and the summary ``sigma simulate`` would
write for it (the same ``RunSummary.to_json``), then the report in JSON, HTML and on the terminal.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pytest

from consumers.recording import RecordingWriter
from consumers.records import ConsumedRecord
from producers.fidelity import table
from producers.measure import StreamMeasure
from producers.profile import load_profile
from producers.publisher import DeliveryReport
from producers.runner import RunSummary, SimulationRun, generate
from schemas.placement import kafka_partition
from schemas.topics import CHAIN_PARTITIONS
from tests.clirunner import sigma
from tests.published import check_report

WIDE = {"COLUMNS": "400"}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, object]]:
    """A 400-case recording and its run's summary."""
    out = tmp_path_factory.mktemp("simulated")
    run = SimulationRun(cases=400, seed=3, profile=load_profile("inspectie-2018"), topic_prefix="",
                        case_key_secret=b"report")
    tally = StreamMeasure()
    recording = out / "recording.jsonl"
    with RecordingWriter(recording, {"cluster": "test"}) as writer:
        offset = 0
        for batch in generate(run, None, tally):
            for _, r in batch:
                writer.write(ConsumedRecord(r.topic, kafka_partition(r.key, CHAIN_PARTITIONS), offset,
                                            1_700_000_000_000 + offset, 0, r.key, r.value, r.headers))
                offset += 1
    summary = RunSummary(run, DeliveryReport(sent=offset), 1.0, table(tally.tallies(), run.profile), {}).to_json()
    summary_file = out / "summary.json"
    summary_file.write_text(json.dumps(summary), encoding="utf-8")
    return recording, summary_file, summary


def test_the_report_of_simulated_data_shows_the_fidelity_table(simulated: tuple[Path, Path, dict[str, object]],
                                                               tmp_path: Path) -> None:
    recording, summary_file, summary = simulated
    result = sigma("validate", "--from-file", str(recording), "--simulation-summary", str(summary_file),
                   "--report-json", str(tmp_path / "r.json"), "--report-html", str(tmp_path / "r.html"), env=WIDE)
    assert result.returncode == 0, result.stderr
    rows = summary["fidelity"]
    assert isinstance(rows, list) and len(rows) > 20
    report = check_report(json.loads((tmp_path / "r.json").read_text()))
    assert report["simulation"] == {"about": "400 cases, seed 3, profile inspectie-2018", "fidelity": rows}
    html = (tmp_path / "r.html").read_text()
    assert "Simulated data" in html
    for row in rows:
        assert f"<td>{escape(row['figure'])}</td>" in html
        printed = next(line for line in result.stdout.splitlines() if f" {row['figure']} " in line)
        assert row["shown"]["measured"] in printed and row["source"] in printed


def test_without_a_summary_the_report_is_as_before(simulated: tuple[Path, Path, dict[str, object]],
                                                   tmp_path: Path) -> None:
    recording, _, _ = simulated
    result = sigma("validate", "--from-file", str(recording), "--report-json", str(tmp_path / "r.json"), "-q")
    assert result.returncode == 0, result.stderr
    assert "simulation" not in json.loads((tmp_path / "r.json").read_text())


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read the simulation summary"),
    ("{not json", "is not JSON"),
    ('{"cases_checked": 3}', "holds no fidelity table"),
])
def test_a_file_that_is_no_simulation_summary_is_a_usage_error(
        simulated: tuple[Path, Path, dict[str, object]], tmp_path: Path, content: str | None, message: str) -> None:
    recording, _, _ = simulated
    summary = tmp_path / "summary.json"
    if content is not None:
        summary.write_text(content)
    result = sigma("validate", "--from-file", str(recording), "--simulation-summary", str(summary))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("sigma: error: ") and message in line and "sigma simulate --summary-json" in line
    assert "Traceback" not in result.stderr
