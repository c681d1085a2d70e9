"""``sigma validate --fail-on-defect-rate R --fail-on-dead-letters N`` over a recording, as a pipeline runs it:
the exit code, the one line, and the report written all the same. On the broker: tests/integration/
test_validator_gating.py."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from bench.streams import chain_records
from consumers.recording import RecordingWriter
from tests.clirunner import sigma
from tests.unit.test_sigma_cli_errors import UNREACHABLE, one_error


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 simulated cases and one record that is not Avro (one dead letter)."""
    records = chain_records(200)
    path = tmp_path_factory.mktemp("rec") / "chain.jsonl"
    with RecordingWriter(path, {"cluster": "test"}) as writer:
        for record in [*records, records[0]._replace(value=b"not avro")]:
            writer.write(record)
    return path


@pytest.fixture(scope="module")
def report(recording: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The run's report, without limits (exit 0)."""
    out = tmp_path_factory.mktemp("report") / "report.json"
    result = sigma("validate", "--from-file", str(recording), "--report-json", str(out), "-q", env=UNREACHABLE)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    loaded: dict[str, Any] = json.loads(out.read_text())
    assert 0 < loaded["cases_defective"] < loaded["cases_checked"] and loaded["records"]["dead_lettered"] == 1
    return loaded


def _rate(report: dict[str, Any]) -> float:
    return float(report["cases_defective"] / report["cases_checked"])


def test_within_both_limits_the_run_passes(recording: Path, report: dict[str, Any]) -> None:
    """A limit reached is not passed: the exact rate as the limit, and the percentage just above it."""
    for rate in (f"{_rate(report)!r}", f"{math.ceil(1000 * _rate(report)) / 10}%"):
        result = sigma("validate", "--from-file", str(recording), "-q", "--fail-on-defect-rate", rate,
                       "--fail-on-dead-letters", "1", env=UNREACHABLE)
        assert result.returncode == 0 and result.stderr == "", result.stderr


def test_a_defect_rate_above_the_limit_is_exit_1_after_the_report_is_written(recording: Path, report: dict[str, Any],
                                                                              tmp_path: Path) -> None:
    out, site = tmp_path / "r.json", tmp_path / "r.html"
    result = sigma("validate", "--from-file", str(recording), "--report-json", str(out), "--report-html", str(site),
                   "-q", "--fail-on-defect-rate", "10%", "--fail-on-dead-letters", "1", env=UNREACHABLE)
    line = one_error(result, 1)
    rate, checked, defective = _rate(report), report["cases_checked"], report["cases_defective"]
    assert line == (f"sigma: error: defect rate {100 * rate:.1f}% ({defective} of {checked} checked cases) exceeds "
                    f"--fail-on-defect-rate 10.0% by {100 * rate - 10:.1f} points: the report lists the defective "
                    "cases and the rules they broke (`sigma dossier CASE` shows one)")
    assert json.loads(out.read_text()) == report and site.is_file()


def test_both_limits_passed_are_said_on_one_line(recording: Path, report: dict[str, Any]) -> None:
    result = sigma("validate", "--from-file", str(recording), "-q", "--fail-on-defect-rate", "0.1",
                   "--fail-on-dead-letters", "0", env=UNREACHABLE)
    line = one_error(result, 1)
    assert f"exceeds --fail-on-defect-rate 10.0% by {100 * _rate(report) - 10:.1f} points; 1 dead letters exceed " \
           "--fail-on-dead-letters 0 by 1: the report lists" in line
    assert line.endswith("; `sigma dlq list` (online) or `sigma conformance REC` (a recording) shows which records "
                         "and why")


@pytest.mark.parametrize(("args", "says"), [
    (("--fail-on-defect-rate", "70"), "Invalid value for '--fail-on-defect-rate': '70' is not a share between 0 and 1 "
                                      "or a percentage: write e.g. 0.5 or 50%: see `sigma validate --help`"),
    (("--fail-on-dead-letters", "-1"), "Invalid value for '--fail-on-dead-letters'"),
])
def test_a_bad_limit_is_a_usage_error(recording: Path, args: tuple[str, ...], says: str) -> None:
    assert says in one_error(sigma("validate", "--from-file", str(recording), *args, env=UNREACHABLE), 2)


@pytest.mark.parametrize("flag", ["--fail-on-defect-rate", "--fail-on-dead-letters"])
def test_a_validator_that_runs_until_stopped_takes_no_limit(flag: str) -> None:
    """An endless run ends by a signal (exit 130 or 143, state as of the last snapshot): there is no end of run
    to judge, so the limit is refused before anything connects (the cluster here is unreachable)."""
    line = one_error(sigma("validate", flag, "1", env=UNREACHABLE), 2)
    assert line == (f"sigma: error: {flag} judges a run that ends, and this one runs until stopped: add --to-end (or "
                    "validate a recording with --from-file); a validator that runs on is watched with the alert rules "
                    "in deploy/alerts.yml")


def test_an_empty_recording_is_exit_2_with_the_report_written(tmp_path: Path) -> None:
    """Distinct from a limit passed (1): nothing was validated, whatever the limits."""
    empty = tmp_path / "empty.jsonl"
    manifest = {"cluster": "test", "topics": {"run-7.chain.dtv.case": 3, "run-7.chain.dtv.flight": 3}}
    with RecordingWriter(empty, manifest):
        pass
    out = tmp_path / "r.json"
    line = one_error(sigma("validate", "--from-file", str(empty), "--report-json", str(out), "-q",
                           "--fail-on-dead-letters", "0", env=UNREACHABLE), 2)
    assert line.startswith(f"sigma: error: {empty} holds no records (recorded from 2 topics under topic prefix "
                           "'run-7.'): nothing was validated: record topics that hold records")
    assert json.loads(out.read_text())["records"]["consumed"] == 0
