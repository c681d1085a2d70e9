"""A three-node embedded cluster on real Apache Kafka: the chain's records survive a killed node.

Each test starts its own cluster through the CLI (``sigma broker start --nodes 3``) on three consecutive free
ports and always stops it, so at most one cluster runs at a time; nodes get a small heap (this runs beside the
session's broker on a small machine).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from consumers.bounded import chain_partitions
from runtime import clients
from runtime.broker.cluster import EmbeddedCluster
from runtime.broker.embedded import free_port, port_free
from runtime.settings import Settings, load_settings
from runtime.topics import apply_topics
from schemas.topics import CHAIN_TOPICS, TopicSpec
from tests.agreement import last_at_truth_checkpoint, published_twice, report_checked, truth_checked
from tests.clirunner import SIGMA, sigma
from tests.integration.test_validator_watermarks import published_findings
from tests.published import check_report

pytestmark = pytest.mark.kafka
NO_CLUSTER = ("SIGMA_BOOTSTRAP_SERVERS",)
NODE_HEAP = "320m"
CASES = 1500
SPEED = "1000000"
"""Simulated clock at a million times real time: the 1,500 cases take about 13 s to publish (2 s unpaced), so the
node is killed while the simulator is sending."""


@dataclass(frozen=True)
class Cluster:
    """A cluster the test started: where the CLI finds it (``SIGMA_HOME`` and ``SIGMA_BROKER_PORT``)."""

    port: int
    data: Path
    env: dict[str, str]

    def settings(self, **overrides: Any) -> Settings:
        """Settings of a client of this cluster (as the CLI builds them from ``env``)."""
        return load_settings(home=self.data.parent, broker_port=self.port,
                             insecure=self.env.get("SIGMA_INSECURE") == "1", **overrides)

    def sigma(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return sigma(*args, env={**self.env, **env}, drop=NO_CLUSTER)


def free_port_run(nodes: int) -> int:
    """A first port such that it and the ``nodes - 1`` after it are free right now."""
    for _ in range(50):
        first = free_port()
        if first + nodes - 1 <= 65535 and all(port_free(first + i) for i in range(1, nodes)):
            return first
    pytest.fail(f"no {nodes} consecutive free ports found on 127.0.0.1 in 50 tries")


def _cluster(tmp_path: Path, *, secured: bool) -> Iterator[Cluster]:
    port = free_port_run(3)
    data = tmp_path / f"broker-{port}"  # the default data folder of SIGMA_HOME=tmp_path, SIGMA_BROKER_PORT=port
    env = {"SIGMA_HOME": str(tmp_path), "SIGMA_BROKER_PORT": str(port), "SIGMA_BROKER_HEAP": NODE_HEAP,
           **({} if secured else {"SIGMA_INSECURE": "1"})}
    try:
        yield Cluster(port, data, env)
    finally:  # whatever happened, no node outlives the test
        EmbeddedCluster(port=port, nodes=None, data_dir=data, libs=None, secured=secured).stop()


@pytest.fixture
def plaintext(tmp_path: Path) -> Iterator[Cluster]:
    yield from _cluster(tmp_path, secured=False)


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[Cluster]:
    yield from _cluster(tmp_path, secured=True)


def _records(settings: Settings, prefix: str) -> int:
    """How many records the chain topics under ``prefix`` hold."""
    consumer = clients.consumer(settings)
    try:
        return sum(consumer.end_offsets(chain_partitions(consumer, prefix)).values())
    finally:
        consumer.close()


def _replication(settings: Settings, names: list[str]) -> dict[str, tuple[set[int], set[int], str]]:
    """Per topic: the replica counts and in-sync counts of its partitions, and its min.insync.replicas."""
    admin = clients.admin(settings)
    try:
        described = {t["name"]: t for t in admin.describe_topics(names)}
        configs = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n, configs={"min.insync.replicas": None}) for n in names],
            config_filter="all")["topic"]
    finally:
        admin.close()
    return {n: ({len(p["replica_nodes"]) for p in described[n]["partitions"]},
                {len(p["isr_nodes"]) for p in described[n]["partitions"]},
                configs[n]["min.insync.replicas"]["value"]) for n in names}


def _await_full_isr(settings: Settings, names: list[str], nodes: int = 3) -> None:
    """Wait (up to a minute) until every partition of ``names`` has all ``nodes`` replicas in sync."""
    deadline = time.monotonic() + 60
    while True:
        isr = {n: counts[1] for n, counts in _replication(settings, names).items()}
        if all(counts == {nodes} for counts in isr.values()):
            return
        assert time.monotonic() < deadline, f"replicas not back in sync: {isr}"
        time.sleep(1)


def _await_first_commit(state: Path, validator: subprocess.Popen[str], err: Path) -> None:
    """Until the live validator has joined its group and committed once (it writes its local snapshot after
    each commit, also of nothing read yet)."""
    deadline = time.monotonic() + 180
    while not list(state.glob("*.snapshot")):
        assert validator.poll() is None, f"the validator ended before its first commit: {err.read_text()}"
        assert time.monotonic() < deadline, "the validator did not commit within 180 s"
        time.sleep(0.2)


def _await_group_at_end(settings: Settings, prefix: str, group: str, validator: subprocess.Popen[str],
                        err: Path) -> None:
    """Until the validator's group has committed every chain partition up to its end: the live validator read
    the whole stream through the node's kill."""
    consumer = clients.consumer(settings)
    admin = clients.admin(settings)
    try:
        end = consumer.end_offsets(chain_partitions(consumer, prefix))
        deadline = time.monotonic() + 300
        while True:
            committed = admin.list_group_offsets(group)[group]
            behind = {tp: at for tp, at in end.items() if tp not in committed or committed[tp].offset < at}
            if not behind:
                return
            assert validator.poll() is None, f"the validator ended before the end: {err.read_text()}"
            assert time.monotonic() < deadline, f"the group stopped short of the end for 300 s: {len(behind)} behind"
            time.sleep(1)
    finally:
        consumer.close()
        admin.close()


@pytest.mark.soak
def test_the_chain_survives_a_killed_node_with_the_report_of_the_truth(plaintext: Cluster, tmp_path: Path) -> None:
    started = plaintext.sigma("broker", "start", "--nodes", "3")
    assert started.returncode == 0, started.stderr
    ports = [plaintext.port + i for i in range(3)]
    assert started.stdout.startswith(f"started: 3-node cluster {','.join(f'127.0.0.1:{p}' for p in ports)}")
    assert "replication factor 3, min.insync.replicas=2" in started.stdout
    status = plaintext.sigma("broker", "status")
    assert status.returncode == 0 and status.stdout.startswith("running: 3 of 3 nodes"), status.stdout
    assert [f"node {i + 1}: running: 127.0.0.1:{p}" in status.stdout for i, p in enumerate(ports)] == [True] * 3

    prefix = f"test-cluster-{uuid.uuid4().hex[:8]}."
    applied = plaintext.sigma("topics", "apply", SIGMA_TOPIC_PREFIX=prefix)
    assert applied.returncode == 0, applied.stderr
    settings = plaintext.settings(topic_prefix=prefix)
    assert settings.bootstrap == ",".join(f"127.0.0.1:{p}" for p in ports), "clients know every node"
    names = [prefix + t.name for t in CHAIN_TOPICS]
    assert {n: (r[0], r[2]) for n, r in _replication(settings, names).items()} == dict.fromkeys(names, ({3}, "2"))

    group, state = f"g-{uuid.uuid4().hex[:8]}", tmp_path / "state"
    env = {**{k: v for k, v in os.environ.items() if k not in NO_CLUSTER}, **plaintext.env,
           "SIGMA_TOPIC_PREFIX": prefix}
    truth_file = tmp_path / "truth.jsonl"
    with (tmp_path / "validate.err").open("w") as validator_err:
        validator = subprocess.Popen(  # live, committing transactions every second through the kill
            [SIGMA, "validate", "--group", group, "--state-dir", str(state), "--snapshot-interval", "1", "-q"],
            env=env, stdout=subprocess.DEVNULL, stderr=validator_err, text=True)
    try:
        _await_first_commit(state, validator, tmp_path / "validate.err")
        simulate = subprocess.Popen(
            [SIGMA, "simulate", "--cases", str(CASES), "--seed", "2018", "--speed", SPEED, "--truth", str(truth_file)],
            env={**env, "SIGMA_LOG_FORMAT": "json"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            while _records(settings, prefix) < 2000:  # well under way (about 14,000 records in all)
                assert simulate.poll() is None, "simulate ended before the node could be killed mid-run"
                time.sleep(0.2)
            assert simulate.poll() is None, "simulate ended before the node could be killed mid-run"
            assert validator.poll() is None, (tmp_path / "validate.err").read_text()
            node = EmbeddedCluster(port=plaintext.port, nodes=None, data_dir=plaintext.data, libs=None,
                                   secured=False).node(1)
            pid = node.pid()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)  # the node clients bootstrap from first
            err = simulate.communicate(timeout=300)[1]
        finally:
            if simulate.poll() is None:
                simulate.kill()
        assert simulate.returncode == 0, err
        _await_group_at_end(settings, prefix, group, validator, tmp_path / "validate.err")
        validator.send_signal(signal.SIGINT)
        assert validator.wait(timeout=120) == 130, (tmp_path / "validate.err").read_text()  # stopped by Ctrl-C
    finally:
        if validator.poll() is None:
            validator.kill()
    assert node.pid() is None
    degraded = plaintext.sigma("broker", "status")
    assert degraded.returncode == 1 and degraded.stdout.startswith("degraded: 2 of 3 nodes"), degraded.stdout

    # with node 1 still down, the group goes on to the end where its live member stopped (a member's run to the
    # end decides what only the end of the stream decides): its report and its findings (read_committed), each
    # published once, are the truth case for case
    lines = [json.loads(line) for line in truth_file.read_text().splitlines()]
    truth = truth_checked(lines)
    assert len(lines) == CASES and len(truth) > 200
    finished = plaintext.sigma("validate", "--to-end", "--group", group, "--state-dir", str(state), "-q",
                               SIGMA_TOPIC_PREFIX=prefix)
    assert finished.returncode == 0, finished.stderr
    grouped = plaintext.sigma("report", "--group", group, "--report-json", str(tmp_path / "group.json"), "-q",
                              SIGMA_TOPIC_PREFIX=prefix)
    assert grouped.returncode == 0, grouped.stderr
    report = json.loads((tmp_path / "group.json").read_text())
    assert report_checked(check_report(report)) == truth
    findings = published_findings(settings, prefix)
    assert published_twice(findings) == []
    assert last_at_truth_checkpoint(findings, lines) == truth
    offsets = _replication(settings, ["__consumer_offsets"])["__consumer_offsets"]  # made by the validator's group
    assert (offsets[0], offsets[2]) == ({3}, "2"), "Kafka's own topics are replicated like the chain's"

    restarted = plaintext.sigma("broker", "start")  # starts the missing node only
    assert restarted.returncode == 0, restarted.stderr
    assert plaintext.sigma("broker", "status").returncode == 0
    again = plaintext.sigma("broker", "start")
    assert again.returncode == 0 and again.stdout.startswith("already running: 3 of 3 nodes"), again.stdout
    _await_full_isr(settings, names)  # the restarted node caught up on what it missed

    stopped = plaintext.sigma("broker", "stop")
    assert stopped.returncode == 0 and stopped.stdout.startswith("stopped: 3 nodes"), stopped.stdout
    down = plaintext.sigma("broker", "status")
    assert down.returncode == 1 and down.stdout.startswith("not running: 0 of 3 nodes")


def test_a_partition_whose_leader_was_killed_is_not_taken_for_one_at_its_end(plaintext: Cluster) -> None:
    """kafka-python keeps a partition's last high watermark while its leader is gone (measured: 14 s from a
    node's SIGKILL to a new leader), so a consumer's position there looks caught up though its producers hold
    records for it: ``clients.led`` tells such partitions apart (the validator's watermark and eviction wait for
    them, ``validator.online``), and takes them back once another node leads them and they deliver again."""
    assert plaintext.sigma("broker", "start", "--nodes", "3").returncode == 0
    settings = plaintext.settings()
    topic = f"test-led-{uuid.uuid4().hex[:8]}"
    apply_topics(settings, [TopicSpec(topic, 6, "one partition or more led by each node", {})])
    partitions = [TopicPartition(topic, p) for p in range(6)]
    producer, consumer, stop = clients.producer(settings), clients.consumer(settings), threading.Event()

    def produce() -> None:  # every partition, all along: its producer holds what a leaderless one cannot take
        while not stop.is_set():
            for tp in partitions:
                producer.send(topic, value=b"x", partition=tp.partition)
            stop.wait(0.05)

    sender = threading.Thread(target=produce, daemon=True)
    sender.start()
    try:
        consumer.assign(partitions)
        delivered: Counter[int] = Counter()

        def turn() -> tuple[set[int], set[int]]:
            """Poll once: the partitions led (``clients.led``) and those at their last high watermark fetched."""
            for tp, records in consumer.poll(timeout_ms=200).items():
                delivered[tp.partition] += len(records)
            at = clients.positions(consumer, partitions)
            return ({tp.partition for tp in clients.led(consumer, partitions)},
                    {tp.partition for tp in partitions if at[tp] >= (consumer.highwater(tp) or 0)})

        deadline = time.monotonic() + 60
        while turn()[0] != set(range(6)) or len(delivered) < 6:
            assert time.monotonic() < deadline, "the consumer never read every partition from its leader"
        killed = {tp.partition for tp in partitions if consumer._client.cluster.leader_for_partition(tp) == 1}
        assert killed, "node 1 leads a partition (leaders are spread over the nodes)"
        node = EmbeddedCluster(port=plaintext.port, nodes=None, data_dir=plaintext.data, libs=None,
                               secured=False).node(1)
        pid = node.pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while (led := turn()[0]) & killed:
            assert time.monotonic() < deadline, "partitions led by the killed node were still taken for led"
        assert led == set(range(6)) - killed
        delivered.clear()
        away, seen_at_end = time.monotonic(), False
        while (state := turn())[0] != set(range(6)):  # until the cluster elects their new leader
            assert time.monotonic() - away < 60, "no new leader within 60 s"
            assert not delivered.keys() & killed, "a leaderless partition delivered records"
            seen_at_end = seen_at_end or bool(killed & state[1])
        assert seen_at_end, "while leaderless, their stale high watermark made them look at their end"
        deadline = time.monotonic() + 30
        while not killed <= delivered.keys():  # what their producers held reaches them under the new leader
            assert time.monotonic() < deadline, "the partitions led again delivered nothing"
            turn()
    finally:
        stop.set()
        sender.join()
        producer.close(timeout=5)
        consumer.close()


def test_a_secured_cluster_replicates_over_mutual_tls(secured: Cluster) -> None:
    started = secured.sigma("broker", "start", "--nodes", "3")
    assert started.returncode == 0, started.stderr
    assert "(SASL_SSL" in started.stdout
    applied = secured.sigma("topics", "apply", SIGMA_TOPIC_PREFIX="sec.")  # as admin, over SASL_SSL
    assert applied.returncode == 0, applied.stderr
    names = ["sec." + t.name for t in CHAIN_TOPICS]
    settings = secured.settings()
    assert settings.bootstrap.count(",") == 2
    assert {n: (r[0], r[2]) for n, r in _replication(settings, names).items()} == dict.fromkeys(names, ({3}, "2"))
    _await_full_isr(settings, names)  # followers fetch over the inter-broker listener: mutual TLS works
    stopped = secured.sigma("broker", "stop")
    assert stopped.returncode == 0 and stopped.stdout.startswith("stopped: 3 nodes"), stopped.stdout
