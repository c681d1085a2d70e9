"""The CLI's output files and log lines on the real broker: files replaced whole through a rename, a report
that can no longer be written is one line and exit 1, and every log line (kafka-python's too) is JSON."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.clirunner import SIGMA, sigma
from tests.conftest import KafkaCluster

pytestmark = pytest.mark.kafka


def _env(cluster: KafkaCluster, prefix: str) -> dict[str, str]:
    return {**cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}


def test_simulate_and_record_replace_existing_files_whole(kafka_cluster: KafkaCluster, chain_prefix: str,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in ("truth.jsonl", "summary.json", "chain.jsonl.gz"):
        (out / name).write_text("from an earlier run")
    env = _env(kafka_cluster, chain_prefix)
    simulated = sigma("simulate", "--cases", "30", "--truth", str(out / "truth.jsonl"), "--summary-json",
                      str(out / "summary.json"), env=env)
    assert simulated.returncode == 0, simulated.stderr
    recorded = sigma("record", "--topics", re.escape(chain_prefix) + r"chain\..*", "--out", str(out / "chain.jsonl.gz"),
                     "--to-end", "--force", env=env)
    assert recorded.returncode == 0, recorded.stderr
    assert sorted(os.listdir(out)) == ["chain.jsonl.gz", "summary.json", "truth.jsonl"], "no temporary file is left"
    assert len((out / "truth.jsonl").read_text().splitlines()) == 30
    events = json.loads((out / "summary.json").read_text())["events"]
    assert f"recorded {events:,} records" in recorded.stdout
    replayed = sigma("validate", "--from-file", str(out / "chain.jsonl.gz"), "-q", env=env)
    assert replayed.returncode == 0, replayed.stderr


def test_a_report_that_can_no_longer_be_written_stops_the_validator_with_one_line(
        kafka_cluster: KafkaCluster, chain_prefix: str, tmp_path: Path) -> None:
    """Checked at the start, the report folder is replaced by a file while the validator runs: the next refresh
    fails, and the validator says where the report could not be written, in one line, exit 1."""
    folder = tmp_path / "reports"
    report = folder / "report.json"
    args = [SIGMA, "validate", "--group", f"g-{chain_prefix}", "--state-dir", str(tmp_path / "state"),
            "--snapshot-interval", "0.1", "--report-json", str(report), "-q"]
    proc = subprocess.Popen(args, env={**os.environ, **_env(kafka_cluster, chain_prefix), "SIGMA_LOG_FORMAT": "json"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not report.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert report.exists(), "the continuous validator writes its report at every snapshot"
        shutil.rmtree(folder)
        folder.write_text("a file where the report folder was")
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1 and "Traceback" not in stderr, stderr
    plain = [line for line in stderr.splitlines() if not line.startswith("{")]
    assert plain == [f"sigma: error: could not write --report-json {report} (Not a directory): check free space "
                     f"and permissions of {folder}; nothing was replaced"]
    assert folder.read_text() == "a file where the report folder was"


def test_every_log_line_is_json_kafka_pythons_included(kafka_cluster: KafkaCluster, chain_prefix: str) -> None:
    """At debug level kafka-python logs its connections through the standard library; with --log-format auto
    and stderr a pipe, those lines are JSON like sigma's own."""
    result = sigma("--log-level", "debug", "topics", "apply",
                   env={**_env(kafka_cluster, chain_prefix), "SIGMA_LOG_FORMAT": "auto"})
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]
    kafka_lines = [r for r in records if r.get("logger", "").startswith("kafka.")]
    assert kafka_lines and all({"event", "level", "timestamp"} <= set(r) for r in kafka_lines)
