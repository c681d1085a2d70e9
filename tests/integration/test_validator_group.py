"""Several validators in one consumer group on the real broker (issue 18): they share the chain partitions, a
member killed mid-run is taken over from the group's changelog, one started late joins, and the findings on
the findings topic (read_committed) are each published once and equal the ground truth, as one validator's are;
``sigma report --group`` gives the report one validator gives over the same records.

The killed member's open transaction is aborted by the broker at its transaction timeout (the give-up time
plus a little, ``OnlineValidator._transaction_timeout_ms``); read_committed readers wait for it, so the
members here get a short give-up time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from consumers.bounded import existing_partitions
from runtime import clients
from runtime.topics import apply_topics
from schemas import topics
from schemas.topics import ALL_TOPICS, CHAIN_TOPICS
from tests.agreement import at_truth_checkpoint, truth_checked
from tests.clirunner import SIGMA, sigma
from tests.conftest import KafkaCluster
from tests.integration.test_validator_kafka import Sim, simulate
from tests.integration.test_validator_watermarks import published_findings

pytestmark = pytest.mark.kafka

GIVE_UP = "15"


def _start(sim: Sim, group: str, state: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([SIGMA, "validate", "--to-end", "--group", group, "--state-dir", str(state),
                             "--snapshot-interval", "0.5", "-q", *extra],
                            env={**os.environ, **sim.env, "SIGMA_OUTAGE_GIVE_UP": GIVE_UP},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _await_snapshot(state: Path, proc: subprocess.Popen[str]) -> None:
    """Until the member has committed at least once (its local snapshot is written after each commit)."""
    deadline = time.monotonic() + 180
    while not list(state.glob("*.snapshot")):
        assert proc.poll() is None, f"the member ended before its first commit: {proc.stderr and proc.stderr.read()}"
        assert time.monotonic() < deadline, "no commit within 180 s"
        time.sleep(0.05)


def _settled(cluster: KafkaCluster, prefix: str) -> None:
    """Until no transaction is open on the findings and dead-letter topics (the killed member's is aborted at
    its timeout): their read_committed end equals their end."""
    names = [prefix + topics.FINDINGS, prefix + topics.DLQ]
    committed = clients.consumer(cluster.settings())
    everything = clients.consumer(cluster.settings(), isolation_level="read_uncommitted")
    try:
        partitions = existing_partitions(committed, names)
        deadline = time.monotonic() + 180
        while committed.end_offsets(partitions) != everything.end_offsets(partitions):
            assert time.monotonic() < deadline, "a transaction stayed open for 180 s"
            time.sleep(0.5)
    finally:
        committed.close()
        everything.close()


def _latest(findings: dict[str, list[dict[str, Any]]], truth: list[dict[str, Any]]) -> dict[str, Any]:
    """Per checked case of the truth: its defects in its last finding for the truth's checkpoint."""
    return {case: sorted((d["category"], d["partner"], d["kind"]) for d in found[-1]["defects"]) if found else None
            for case, found in at_truth_checkpoint(findings, truth).items()}


def test_three_members_one_killed_one_late_publish_each_finding_once_and_true(
        kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    sim = simulate(kafka_cluster, tmp_path, 5_000, "inspectie-2018", seed=18)
    group = f"g-group-{uuid.uuid4().hex[:8]}"
    first = _start(sim, group, tmp_path / "a")
    second = _start(sim, group, tmp_path / "b")
    try:
        _await_snapshot(tmp_path / "a", first)
        assert first.poll() is None, "the first member ended before it could be killed mid-run"
        first.send_signal(signal.SIGKILL)
        first.wait()
        late = _start(sim, group, tmp_path / "c")
        for proc in (second, late):
            assert proc.wait(timeout=600) == 0, proc.stderr and proc.stderr.read()
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.kill()
    _settled(kafka_cluster, sim.prefix)
    findings = published_findings(kafka_cluster, sim.prefix)
    published = [(f["case"], f["checkpoint"], f["revision"]) for found in findings.values() for f in found]
    assert len(published) == len(set(published)), "a finding was published twice"
    truth = truth_checked(sim.truth)
    assert len(truth) > 800
    assert _latest(findings, sim.truth) == truth

    # the group's report, from what it committed, is the report of one validator over the same records
    grouped = sigma("report", "--group", group, "--report-json", str(tmp_path / "group.json"), "-q", env=sim.env)
    assert grouped.returncode == 0, grouped.stderr
    alone = sigma("validate", "--to-end", "--group", group + "-alone", "--state-dir", str(tmp_path / "alone"),
                  "--report-json", str(tmp_path / "alone.json"), "-q", env=sim.env)
    assert alone.returncode == 0, alone.stderr
    report = json.loads((tmp_path / "group.json").read_text())
    assert report["records"]["consumed"] > 40_000 and report["cases_checked"] == len(truth)
    assert report == json.loads((tmp_path / "alone.json").read_text())


def test_a_member_without_its_local_snapshot_restores_from_the_changelog(
        kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    """Every case kept (no eviction), the changelog holds the whole state: the report is the same."""
    sim = simulate(kafka_cluster, tmp_path, 500, "inspectie-2018", seed=7)
    env = {**sim.env, "SIGMA_EVICTION_GRACE_HOURS": "0"}
    group, state = f"g-cache-{uuid.uuid4().hex[:8]}", tmp_path / "state"
    reports = []
    for run in range(2):
        out = tmp_path / f"report-{run}.json"
        result = sigma("validate", "--to-end", "--group", group, "--state-dir", str(state), "--report-json",
                       str(out), "-q", env=env)
        assert result.returncode == 0, result.stderr
        reports.append(json.loads(out.read_text()))
        for snapshot in state.glob("*.snapshot"):
            snapshot.unlink()
    assert reports[0]["cases_checked"] > 50
    assert reports[1] == reports[0]


def test_chain_topics_not_co_partitioned_are_refused_in_one_line(kafka_cluster: KafkaCluster) -> None:
    prefix = f"test-copart-{uuid.uuid4().hex[:8]}."
    odd = CHAIN_TOPICS[-1]
    specs = [replace(t, partitions=t.partitions + 1) if t is odd else t for t in ALL_TOPICS]
    apply_topics(kafka_cluster.settings(), [t.prefixed(prefix) for t in specs])
    result = sigma("validate", "--to-end", "-q", env={**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": prefix})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sigma: error: the chain topics are not co-partitioned"), lines


def test_a_report_of_a_group_that_never_ran_is_one_line(kafka_cluster: KafkaCluster) -> None:
    prefix = f"test-nogroup-{uuid.uuid4().hex[:8]}."
    apply_topics(kafka_cluster.settings(), [t.prefixed(prefix) for t in ALL_TOPICS])
    result = sigma("report", "--group", "g-never", env={**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": prefix})
    assert result.returncode == 1
    assert result.stderr == (f"sigma: error: validator group g-never has no changelog topic {prefix}chain.validation."
                             "changelog.g-never under this prefix: run `sigma validate --group` with that group (and "
                             "the same SIGMA_TOPIC_PREFIX) first\n")
