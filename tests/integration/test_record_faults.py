"""``sigma record`` and ``sigma replay`` through a broker stopped and restarted mid-run (a broker of the session's
own for outages, never the shared one; ``tests/conftest.py`` always stops it at the end).

* ``record --to-end``: frozen (SIGSTOP) once it has started reading, the broker stopped, thawed: it says
  once that Kafka is not answering, and after the restart its file holds the records of an undisturbed
  capture, record for record in each partition's order;
* a live capture caught up and waiting goes on through the restart and captures the records sent after it;
* a paced replay through the restart leaves every record in the target topic once, in order per partition;
* an outage past ``SIGMA_OUTAGE_GIVE_UP`` ends a live capture and a replay with one line each.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import TopicPartition

from consumers.bounded import existing_partitions, read_from_start
from consumers.recording import read_recording
from consumers.records import ConsumedRecord
from runtime import clients
from runtime.broker.embedded import EmbeddedBroker
from runtime.settings import Settings
from runtime.topics import apply_topics
from schemas.topics import TopicSpec
from tests.clirunner import SIGMA, sigma
from tests.conftest import KafkaCluster

pytestmark = pytest.mark.kafka

PARTITIONS = 3
RECORDS = 9_000
"""1.2 KB each, 3.6 MB a partition: more than a consumer fetches ahead (1 MB a partition), so a capture frozen
once it has begun still needs the broker for most of the topic."""


class Run:
    """``sigma ARGS`` running, its stderr collected line by line (so a test can wait for a log line)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([SIGMA, *args], env={**os.environ, "SIGMA_LOG_FORMAT": "json",
                                                          "SIGMA_TOPIC_PREFIX": "", **env},
                                     text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, ready: Callable[[], bool], what: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            assert self.proc.poll() is None, f"ended before {what}: " + "\n".join(self.lines)
            assert time.monotonic() < deadline, f"not {what} within {timeout} s: " + "\n".join(self.lines)
            time.sleep(0.01)

    def logged(self, text: str) -> list[str]:
        return [line for line in self.lines if text in line]

    def finish(self, timeout: float = 300) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _one_line_error(run: Run) -> str:
    assert not run.logged("Traceback"), "\n".join(run.lines)
    errors = [line for line in run.lines if line.startswith("sigma: error: ")]
    assert len(errors) == 1, "\n".join(run.lines)
    return errors[0]


def _by_partition(records: list[ConsumedRecord]) -> dict[int, list[tuple[object, ...]]]:
    """Each partition's records in the order read (offsets and all, as captured)."""
    out: dict[int, list[tuple[object, ...]]] = defaultdict(list)
    for r in records:
        out[r.partition].append((r.offset, r.timestamp, r.key, r.value, r.headers))
    return dict(out)


def _produce(broker: EmbeddedBroker, topic: str, n: int, start: int, size: int = 1_200) -> None:
    """``n`` records numbered from ``start``, round robin over the partitions, 2 ms apart in time."""
    producer = clients.producer(_settings(broker))
    base = int(time.time() * 1000) - 60_000
    for i in range(start, start + n):
        producer.send(topic, key=f"k{i}".encode(), value=str(i).encode().ljust(size, b"."),
                      headers=[("n", str(i).encode())], partition=i % PARTITIONS, timestamp_ms=base + 2 * i)
    producer.flush()
    producer.close()


@pytest.fixture(scope="module")
def topic(own_broker: EmbeddedBroker) -> str:
    """A topic on the outage broker with :data:`RECORDS` records."""
    name = f"test-rec-{uuid.uuid4().hex[:8]}"
    apply_topics(_settings(own_broker), [TopicSpec(name, PARTITIONS, "outage tests")])
    _produce(own_broker, name, RECORDS, 0)
    return name


def _settings(broker: EmbeddedBroker) -> Settings:
    return KafkaCluster(broker.bootstrap, broker).settings()


def _env(broker: EmbeddedBroker, **extra: str) -> dict[str, str]:
    return {**KafkaCluster(broker.bootstrap, broker).env(), **extra}


def _undisturbed(broker: EmbeddedBroker, topic: str, out: Path) -> list[ConsumedRecord]:
    result = sigma("record", "--topics", topic, "--out", str(out), "--to-end", env=_env(broker))
    assert result.returncode == 0, result.stderr
    return list(read_recording(out))


def _restart_once_noticed(broker: EmbeddedBroker, run: Run) -> None:
    """Stop the broker, wait until ``run`` says Kafka is not answering, start it again."""
    broker.stop()
    run.wait_for(lambda: bool(run.logged("Kafka not answering")), "noticing the outage")
    broker.start(timeout=180)


def test_record_to_end_through_a_broker_restart_writes_the_undisturbed_recording(
        own_broker: EmbeddedBroker, topic: str, tmp_path: Path) -> None:
    calm = _undisturbed(own_broker, topic, tmp_path / "calm.jsonl")
    out = tmp_path / "restarted.jsonl"
    run = Run(["record", "--topics", topic, "--out", str(out), "--to-end"], _env(own_broker))
    try:
        run.wait_for(lambda: any(tmp_path.glob(".restarted.jsonl.*")), "writing its recording")
        run.proc.send_signal(signal.SIGSTOP)  # frozen before it can read to the end, while the broker stops
        try:
            assert run.proc.poll() is None, "the capture ended before the broker could be stopped"
            own_broker.stop()
        finally:
            run.proc.send_signal(signal.SIGCONT)
        run.wait_for(lambda: bool(run.logged("Kafka not answering")), "noticing the outage")
        own_broker.start(timeout=180)
        assert run.finish() == 0, run.lines
    finally:
        run.kill()
    written = list(read_recording(out))
    assert len(written) == RECORDS
    assert _by_partition(written) == _by_partition(calm)
    assert len(run.logged("Kafka not answering")) == 1 and len(run.logged("Kafka answering again")) == 1


def test_a_live_capture_goes_on_through_a_broker_restart(own_broker: EmbeddedBroker, topic: str,
                                                         tmp_path: Path) -> None:
    live = f"{topic}-live"
    apply_topics(_settings(own_broker), [TopicSpec(live, PARTITIONS, "live")])
    _produce(own_broker, live, 300, 0, size=100)
    out = tmp_path / "live.jsonl"
    run = Run(["record", "--topics", live, "--out", str(out)], _env(own_broker))

    def caught_up(records: int) -> Callable[[], bool]:
        return lambda: any(json.loads(line).get("records") == records for line in run.logged("caught up, waiting"))

    try:
        run.wait_for(caught_up(300), "caught up")
        _restart_once_noticed(own_broker, run)
        _produce(own_broker, live, 300, 300, size=100)
        run.wait_for(caught_up(600), "caught up with the records sent after the restart")
        run.proc.send_signal(signal.SIGTERM)
        assert run.finish() == 0, run.lines
    finally:
        run.kill()
    assert _by_partition(list(read_recording(out))) == \
        _by_partition(_undisturbed(own_broker, live, tmp_path / "calm.jsonl"))
    assert len(run.logged("Kafka not answering")) == 1, run.lines


def test_a_paced_replay_through_a_broker_restart_sends_every_record_once_in_order(
        own_broker: EmbeddedBroker, topic: str, tmp_path: Path) -> None:
    recorded = _undisturbed(own_broker, topic, tmp_path / "calm.jsonl")  # 18 s of timestamps: 9 s at --speed 2
    prefix = f"rp-{uuid.uuid4().hex[:6]}."
    run = Run(["replay", str(tmp_path / "calm.jsonl"), "--prefix", prefix, "--speed", "2"], _env(own_broker))
    try:
        run.wait_for(lambda: _count(own_broker, prefix + topic) > 0, "sending")
        _restart_once_noticed(own_broker, run)
        assert run.finish() == 0, run.lines
    finally:
        run.kill()
    settings = _settings(own_broker)
    consumer = clients.consumer(settings)
    try:
        replayed = list(read_from_start(consumer, existing_partitions(consumer, [prefix + topic])))
    finally:
        consumer.close()
    shape = {p: [(k, v, h) for _, _, k, v, h in records] for p, records in _by_partition(replayed).items()}
    assert shape == {p: [(k, v, h) for _, _, k, v, h in records] for p, records in _by_partition(recorded).items()}
    assert len(run.logged("Kafka not answering")) == 1, run.lines


def _count(broker: EmbeddedBroker, topic: str) -> int:
    """Records in ``topic`` so far (0 while it does not exist)."""
    consumer = clients.consumer(_settings(broker))
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        return sum(consumer.end_offsets([TopicPartition(topic, p) for p in partitions]).values())
    finally:
        consumer.close()


def test_an_outage_past_the_give_up_time_ends_record_and_replay_with_one_line(
        own_broker: EmbeddedBroker, topic: str, tmp_path: Path) -> None:
    _undisturbed(own_broker, topic, tmp_path / "calm.jsonl")
    env = _env(own_broker, SIGMA_OUTAGE_GIVE_UP="5")
    capture = Run(["record", "--topics", topic, "--out", str(tmp_path / "live.jsonl")], env)
    prefix = f"gu-{uuid.uuid4().hex[:6]}."
    replay = Run(["replay", str(tmp_path / "calm.jsonl"), "--prefix", prefix, "--speed", "1"], env)
    try:
        capture.wait_for(lambda: bool(capture.logged("caught up, waiting")), "caught up")
        replay.wait_for(lambda: _count(own_broker, prefix + topic) > 0, "sending")
        own_broker.stop()
        assert capture.finish(timeout=120) == 1 and replay.finish(timeout=120) == 1
    finally:
        capture.kill()
        replay.kill()
        own_broker.start(timeout=180)
    for run in (capture, replay):
        line = _one_line_error(run)
        assert "did not answer for" in line and "SIGMA_OUTAGE_GIVE_UP" in line, line
    assert "replay into a fresh --prefix" in _one_line_error(replay)
