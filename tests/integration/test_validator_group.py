"""Several validators in one consumer group on the real broker (issue 18): they share the chain partitions, a
member killed mid-run is taken over from the group's changelog, one started late joins, and the findings on
the findings topic (read_committed) are each published once and equal the ground truth, as one validator's are;
bad records put among the chain's (before, amid and after the simulated stream, on every partition) are each
dead-lettered once (read_committed), and nothing else is; ``sigma report --group`` gives the report one
validator gives over the same records.

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
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from consumers.bounded import chain_partitions, existing_partitions, read_from_start
from runtime import clients
from runtime.topics import apply_topics
from schemas import topics
from schemas.catalogue import CATALOGUE
from schemas.codec import SINGLE_OBJECT_HEADER
from schemas.envelope import Record, source
from schemas.events import Partner
from schemas.examples import example
from schemas.placement import kafka_partition
from schemas.topics import ALL_TOPICS, CHAIN_PARTITIONS, CHAIN_TOPICS, PRODUCER
from tests.agreement import last_at_truth_checkpoint, published_twice, truth_checked
from tests.clirunner import SIGMA, sigma
from tests.conftest import KafkaCluster
from tests.forged import on_topic
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


BAD = ("not-avro", "unknown-schema", "source-mismatch")
"""The codes of the bad records put among the chain's: a value no codec reads, a value naming a schema never
released (a wrong schema), and an event in another partner's name (its ``ce_source``) on its producer's topic."""
Origin = tuple[str, int, int]
"""Where a record is stored: topic, partition, offset (how a dead letter names its record)."""


def _key_on(partition: int) -> str:
    """A new case key that belongs on ``partition`` of a chain topic."""
    while True:
        key = f"ck_{uuid.uuid4().hex[:24]}"
        if kafka_partition(key.encode(), CHAIN_PARTITIONS) == partition:
            return key


def _bad(prefix: str, topic: str, partition: int, code: str) -> Record:
    """A record for ``topic`` that the validator must dead-letter as ``code``: a valid event of the topic's
    subject from its producer, of a case of its own on ``partition``, spoilt."""
    owner = PRODUCER[topic]
    model = next(s.model for s in CATALOGUE.subjects() if s.topics.get(owner) == topic)
    event = example(model).model_copy(update={"partner": owner, "case_key": _key_on(partition),
                                              "event_id": str(uuid.uuid4())})
    if code == "source-mismatch":
        return on_topic(prefix + topic, event, source=source(Partner.COA if owner is Partner.DTV else Partner.DTV)
                        .encode())
    record = on_topic(prefix + topic, event)
    if code == "unknown-schema":
        fingerprint = bytes(b ^ 0xFF for b in record.value[2:SINGLE_OBJECT_HEADER])
        return replace(record, value=record.value[:2] + fingerprint + record.value[SINGLE_OBJECT_HEADER:])
    return replace(record, value=b"\x01 not an event")


def _inject(cluster: KafkaCluster, prefix: str, wave: int) -> dict[Origin, str]:
    """One bad record on every chain topic, topic i's on partition (i + wave) mod 3: three waves put one on every
    chain partition, and each wave puts every code on every partition number (every member's share)."""
    producer = clients.producer(cluster.settings())
    try:
        sent: dict[Origin, str] = {}
        for i, spec in enumerate(CHAIN_TOPICS):
            partition, code = (i + wave) % CHAIN_PARTITIONS, BAD[i // CHAIN_PARTITIONS % len(BAD)]
            record = _bad(prefix, spec.name, partition, code)
            meta = producer.send(record.topic, key=record.key, value=record.value, headers=record.headers,
                                 partition=partition).get(timeout=30)
            sent[(meta.topic, meta.partition, meta.offset)] = code
        return sent
    finally:
        producer.close()


def _simulate_among_bad_records(cluster: KafkaCluster, tmp: Path) -> tuple[Sim, dict[Origin, str]]:
    """5,000 cases (seed 18) with a wave of bad records before the stream, one amid it (once 15,000 of its
    about 45,000 records are stored, unless the simulator ends first) and one after it: the bad records and
    their codes."""
    prefix = f"test-group-{uuid.uuid4().hex[:8]}."
    apply_topics(cluster.settings(), [t.prefixed(prefix) for t in ALL_TOPICS])
    env = {**cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}
    truth = tmp / "truth.jsonl"
    bad = _inject(cluster, prefix, 0)
    consumer = clients.consumer(cluster.settings())
    with (tmp / "simulate.err").open("w") as err:
        simulator = subprocess.Popen([SIGMA, "simulate", "--cases", "5000", "--seed", "18", "--profile",
                                      "inspectie-2018", "--truth", str(truth)], env={**os.environ, **env},
                                     stdout=subprocess.DEVNULL, stderr=err, text=True)
        try:
            chain = chain_partitions(consumer, prefix)
            while simulator.poll() is None and sum(consumer.end_offsets(chain).values()) < 15_000:
                time.sleep(0.2)
            bad |= _inject(cluster, prefix, 1)
            assert simulator.wait(timeout=600) == 0, (tmp / "simulate.err").read_text()
        finally:
            consumer.close()
            if simulator.poll() is None:
                simulator.kill()
    bad |= _inject(cluster, prefix, 2)
    return Sim(prefix, env, [json.loads(line) for line in truth.read_text().splitlines()]), bad


def _dead_letters(cluster: KafkaCluster, prefix: str) -> list[tuple[Origin, str]]:
    """Every dead letter on the dead-letter topic (read_committed): the record it stands for, and its code."""
    consumer = clients.consumer(cluster.settings())
    try:
        stored = read_from_start(consumer, existing_partitions(consumer, [prefix + topics.DLQ]))
        letters = [dict(record.headers) for record in stored]
    finally:
        consumer.close()
    return [((h["dlq_topic"].decode(), int(h["dlq_partition"]), int(h["dlq_offset"])), h["dlq_error_code"].decode())
            for h in letters]


@pytest.mark.soak
def test_three_members_one_killed_one_late_publish_each_finding_once_and_true(
        kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    sim, bad = _simulate_among_bad_records(kafka_cluster, tmp_path)
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
    findings = published_findings(kafka_cluster.settings(), sim.prefix)
    assert published_twice(findings) == []
    truth = truth_checked(sim.truth)
    assert len(truth) > 800
    assert last_at_truth_checkpoint(findings, sim.truth) == truth  # none missing
    letters = _dead_letters(kafka_cluster, sim.prefix)
    assert len(letters) == len({origin for origin, _ in letters}), "a record was dead-lettered twice"
    assert len(bad) == 3 * len(CHAIN_TOPICS) and dict(letters) == bad  # each bad record, with its code; no other

    # the group's report, from what it committed, is the report of one validator over the same records
    grouped = sigma("report", "--group", group, "--report-json", str(tmp_path / "group.json"), "-q", env=sim.env)
    assert grouped.returncode == 0, grouped.stderr
    alone = sigma("validate", "--to-end", "--group", group + "-alone", "--state-dir", str(tmp_path / "alone"),
                  "--report-json", str(tmp_path / "alone.json"), "-q", env=sim.env)
    assert alone.returncode == 0, alone.stderr
    report = json.loads((tmp_path / "group.json").read_text())
    assert report["records"]["consumed"] > 40_000 and report["cases_checked"] == len(truth)
    assert report["dead_letters"] == Counter(bad.values()) and report["records"]["dead_lettered"] == len(bad)
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
