"""Findings as the chain sees them live, on the real broker: first published means final, and equal to the truth.

Why a test of its own: the final report can be right while the findings stream is wrong (a case decided before
evidence in a partition read later arrived, then replaced). Here the findings topic itself is read back, every
finding of every case, in the order they were published.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from consumers.bounded import existing_partitions, read_from_start
from runtime import clients
from runtime.settings import Settings
from runtime.topics import apply_topics
from schemas import topics
from schemas.topics import ALL_TOPICS
from tests.agreement import at_truth_checkpoint, by_case, last_at_truth_checkpoint, report_checked, truth_checked
from tests.clirunner import SIGMA, sigma
from tests.conftest import KafkaCluster
from tests.integration.test_validator_kafka import Sim, validate
from tests.published import published_finding, published_withdrawal

pytestmark = pytest.mark.kafka


def published_findings(settings: Settings, prefix: str, after: int = 0) -> dict[str, list[dict[str, Any]]]:
    """Every finding on the findings topic of the cluster of ``settings`` (those after the first ``after`` of the
    whole topic, when several runs share it), per case in publication order (one case, one partition); a
    withdrawal as ``{"case", "checkpoint" (of the finding withdrawn), "revision": None, "withdrawn": reason}``."""
    consumer = clients.consumer(settings)
    try:
        records = list(read_from_start(consumer, existing_partitions(consumer, [prefix + topics.FINDINGS])))
    finally:
        consumer.close()
    ordered = sorted(records, key=lambda r: (r.timestamp, r.partition, r.offset))[after:]
    findings: dict[str, list[dict[str, Any]]] = {}
    for record in sorted(ordered, key=lambda r: (r.partition, r.offset)):
        if record.value is None:  # a withdrawal: of the finding before it, for the same checkpoint
            reason = published_withdrawal(record.key, record.headers)
            case = (record.key or b"").decode()
            before = findings[case][-1]
            assert "withdrawn" not in before, case
            findings[case].append({"case": case, "checkpoint": before["checkpoint"], "revision": None,
                                   "withdrawn": reason})
            continue
        finding = published_finding(record.value, record.headers)
        assert record.key == finding["case"].encode()
        findings.setdefault(finding["case"], []).append(finding)
    return findings


def test_a_live_run_publishes_each_finding_once_and_equal_to_the_truth(live: Live) -> None:
    """The validator running while the partners publish: every case's first finding is final and true."""
    sim, summary, report, findings = live
    assert len(truth_checked(sim.truth)) > 600
    assert report_checked(report) == truth_checked(sim.truth)
    _first_is_final_and_true(findings, sim.truth)
    assert report["late_deliveries"] == summary["late_deliveries"]["by_partner"] == {}
    assert [f for published in findings.values() for f in published if "withdrawn" in f] == []


def test_a_backlog_read_to_the_end_publishes_each_finding_once_and_equal_to_the_truth(
        kafka_cluster: KafkaCluster, live: Live, tmp_path: Path) -> None:
    """The same stream read as a backlog: partitions are read at different paces, yet every case's first
    finding is final and true (the global watermark this replaced changed hundreds because of read order)."""
    sim = live[0]
    already = sum(len(published) for published in published_findings(kafka_cluster.settings(), sim.prefix).values())
    report = validate(sim, tmp_path, "-q")
    assert report_checked(report) == truth_checked(sim.truth)
    _first_is_final_and_true(published_findings(kafka_cluster.settings(), sim.prefix, after=already), sim.truth)
    assert report["late_deliveries"] == {}


LATE_PARTNERS = ("--publication-batch", "ind=24", "--publication-batch", "dtv=12", "--office-delay", "ind=24")
"""IND exporting once a day and DT&V twice a day: far beyond the allowed lateness of an hour, and quiet in
between, so the validator decides cases without them (their partitions idle) and must revise some. IND's
second office exports a day behind its first, so IND's own topics get records recorded before records already
on them: late deliveries, by the simulator's count and the validator's."""

LARGEST_DELAY = "48"
"""Hours: IND's second office a day behind, in daily batches."""


Live = tuple[Sim, dict[str, Any], dict[str, Any], dict[str, list[dict[str, Any]]]]
"""A live run: the stream, the simulator's summary, the validator's final report and every finding published."""


def live_run(cluster: KafkaCluster, tmp: Path, speed: int, partners: tuple[str, ...], *validator: str) -> Live:
    """4,000 cases published paced while the validator runs live, until it has processed every record."""
    prefix = f"test-live-{uuid.uuid4().hex[:8]}."
    apply_topics(cluster.settings(), [t.prefixed(prefix) for t in ALL_TOPICS])
    env = {**cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}
    report_file, summary_file, truth_file = tmp / "report.json", tmp / "summary.json", tmp / "truth.jsonl"
    process = subprocess.Popen([SIGMA, "validate", "--group", "g-live", "--state-dir", str(tmp / "state"),
                                "--snapshot-interval", "0.5", "--report-json", str(report_file), "-q", *validator],
                               env={**os.environ, **env}, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        sent = sigma("simulate", "--cases", "4000", "--seed", "15", "--profile", "inspectie-2018", "--truth",
                     str(truth_file), "--speed", str(speed), "--summary-json", str(summary_file), *partners, env=env)
        assert sent.returncode == 0, sent.stderr
        summary = json.loads(summary_file.read_text())
        deadline = time.monotonic() + 180
        while not _caught_up(report_file, summary["events"]):
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "the live validator did not catch up within 180 s"
            time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        try:
            _, stderr = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGUSR1)  # every thread's stack to stderr (documented for operators)
            time.sleep(1)
            process.kill()
            pytest.fail("the validator did not stop within 120 s of Ctrl-C:\n" + process.communicate()[1][-6000:])
        assert process.returncode == 130, stderr  # stopped by Ctrl-C, as documented
    finally:
        if process.poll() is None:
            process.kill()
    sim = Sim(prefix, env, [json.loads(line) for line in truth_file.read_text().splitlines()])
    return sim, summary, json.loads(report_file.read_text()), published_findings(cluster.settings(), prefix)


@pytest.fixture(scope="module")
def live(kafka_cluster: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Live:
    """Partners publishing as they record, the validator reading as they publish."""
    return live_run(kafka_cluster, tmp_path_factory.mktemp("live"), 300_000, ())


@pytest.fixture(scope="module")
def delayed_live(kafka_cluster: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Live:
    """IND and DT&V in batches; a partition quiet for 0.2 s (8 simulated hours) holds nothing back."""
    return live_run(kafka_cluster, tmp_path_factory.mktemp("delayed"), 150_000, LATE_PARTNERS, "--idle-timeout", "0.2")


def _caught_up(report_file: Path, events: int) -> bool:
    try:
        report = json.loads(report_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):  # not yet written, or caught mid-rewrite
        return False
    return bool(report["records"]["processed"] == events)


def group_report(sim: Sim, tmp: Path, group: str = "g-live") -> dict[str, Any]:
    """``sigma report --group``: the report of what the group's findings topic and changelog say."""
    out = tmp / f"group-{uuid.uuid4().hex[:6]}.json"
    result = sigma("report", "--group", group, "--report-json", str(out), "-q", env=sim.env)
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def test_live_with_late_partners_every_change_is_a_revision_with_its_reason_and_late_deliveries_match(
        delayed_live: Live, tmp_path: Path) -> None:
    """Partners publishing late, beyond the allowed lateness, while the validator runs: a case decided before
    a record recorded on time arrived gets a numbered revision saying which partner delivered late, the last
    finding of every case equals the truth, and the report counts exactly the simulator's late deliveries."""
    sim, summary, report, findings = delayed_live
    truth = truth_checked(sim.truth)
    assert len(truth) > 600
    assert report_checked(report) == truth
    assert last_at_truth_checkpoint(findings, sim.truth) == truth
    assert report_checked(group_report(sim, tmp_path)) == truth  # no finding stands for a case not checked
    late = summary["late_deliveries"]
    assert late["allowed_lateness_hours"] == 1.0
    # each partner's topics are its own: a batch keeps them in recorded order, IND's second office does not
    assert set(late["by_partner"]) == {"ind"} and late["by_partner"]["ind"] > 10
    assert report["late_deliveries"] == late["by_partner"]
    revisions = 0
    for case, published in findings.items():
        assert published[0]["revision"] == 0, case
        for previous, finding in itertools.pairwise(published):
            if "withdrawn" in finding:  # records delivered since show the case was not to be checked
                continue
            if finding["revision"] == 0:  # a new departure (booked after the last decision): findings of its own
                assert "withdrawn" in previous or finding["checkpoint"] > previous["checkpoint"], case
                assert finding["reason"] is None, case
                continue
            revisions += 1
            assert finding["revision"] == previous["revision"] + 1, case
            assert finding["changes"] or finding["checkpoint"] != previous["checkpoint"], case
            assert " from " in finding["reason"], (case, finding["reason"])  # which records, from whom
    assert revisions > 0, "late deliveries beyond the allowed lateness changed no finding"


def test_the_same_stream_as_a_backlog_counts_the_same_late_deliveries(
        kafka_cluster: KafkaCluster, delayed_live: Live,
        tmp_path: Path) -> None:
    """Late deliveries depend on the order partners published in, not on how the validator read: the backlog
    read of the live run's topics counts the same, and finds the same."""
    sim, summary, live, _ = delayed_live
    report = validate(sim, tmp_path, "-q")
    assert report["late_deliveries"] == summary["late_deliveries"]["by_partner"] == live["late_deliveries"]
    assert report_checked(report) == truth_checked(sim.truth)


def test_with_an_allowed_lateness_beyond_every_delay_no_finding_changes(
        kafka_cluster: KafkaCluster, delayed_live: Live,
        tmp_path: Path) -> None:
    """Allowing as much lateness as the slowest partner's delay, every case's first finding is final and equal
    to the truth, and nothing is a late delivery."""
    sim = delayed_live[0]
    already = sum(len(published) for published in published_findings(kafka_cluster.settings(), sim.prefix).values())
    report = validate(sim, tmp_path, "-q", "--allowed-lateness", LARGEST_DELAY)
    findings = published_findings(kafka_cluster.settings(), sim.prefix, after=already)
    assert report["late_deliveries"] == {}
    _first_is_final_and_true(findings, sim.truth)


def _first_is_final_and_true(findings: dict[str, list[dict[str, Any]]], truth: list[dict[str, Any]]) -> None:
    """Every checked case has exactly one finding for its checkpoint, a first one, equal to the truth."""
    at_checkpoint = at_truth_checkpoint(findings, truth)
    assert {case: [(f["revision"], f["reason"]) for f in published]
            for case, published in at_checkpoint.items() if len(published) != 1} == {}
    assert all(published[0]["revision"] == 0 and published[0]["reason"] is None
               for published in at_checkpoint.values())
    assert by_case(published[0] for published in at_checkpoint.values()) == truth_checked(truth)
