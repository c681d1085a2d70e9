"""Safe recording on the real broker: no silent overwrite, SIGTERM closes the file as Ctrl-C does, a live
capture says when it has caught up, and progress bars show the totals that are known."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from consumers.recording import read_recording
from runtime import clients
from tests.clirunner import SIGMA, sigma
from tests.conftest import KafkaCluster

pytestmark = pytest.mark.kafka


def _produce(cluster: KafkaCluster, topic: str, values: list[bytes]) -> None:
    producer = clients.producer(cluster.settings())
    for value in values:
        producer.send(topic, key=b"k", value=value, partition=0)
    producer.flush()
    producer.close()


def test_an_existing_recording_is_replaced_only_with_force(kafka_cluster: KafkaCluster,
                                                           topic_factory: Callable[..., str], tmp_path: Path) -> None:
    topic = topic_factory(partitions=1)
    _produce(kafka_cluster, topic, [b"a", b"b"])
    out = tmp_path / "rec.jsonl"
    out.write_text("hours of an earlier capture")
    env = kafka_cluster.env()
    refused = sigma("record", "--topics", topic, "--out", str(out), "--to-end", env=env)
    assert refused.returncode == 2
    assert refused.stderr == f"sigma: error: --out {out} exists: add --force to replace it, or choose another path\n"
    assert out.read_text() == "hours of an earlier capture"
    replaced = sigma("record", "--topics", topic, "--out", str(out), "--to-end", "--force", env=env)
    assert replaced.returncode == 0, replaced.stderr
    assert [r.value for r in read_recording(out)] == [b"a", b"b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.jsonl"]


def _caught_up(lines: list[str]) -> list[int]:
    """The record counts of the "caught up, waiting" log lines so far."""
    events = [json.loads(line) for line in lines if line.startswith("{")]
    return [e["records"] for e in events if e["event"] == "caught up, waiting for new records"]


def test_sigterm_closes_a_live_capture_that_says_when_it_waits(kafka_cluster: KafkaCluster,
                                                               topic_factory: Callable[..., str],
                                                               tmp_path: Path) -> None:
    """docker stop, systemd and CI time-outs send SIGTERM: the recording ends complete and readable."""
    topic = topic_factory(partitions=1)
    _produce(kafka_cluster, topic, [b"1", b"2", b"3"])
    out = tmp_path / "live.jsonl.gz"
    env = {**os.environ, **kafka_cluster.env(), "SIGMA_LOG_FORMAT": "json", "CI": "1"}
    proc = subprocess.Popen([SIGMA, "record", "--topics", topic, "--out", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    lines: list[str] = []

    def wait_for_caught_up(records: int) -> None:
        deadline = time.monotonic() + 60
        while records not in _caught_up(lines):
            assert time.monotonic() < deadline and proc.poll() is None, lines
            lines.append(proc.stderr.readline())  # type: ignore[union-attr]

    try:
        wait_for_caught_up(3)  # in CI no bar is drawn: the log says it has all there is and waits
        _produce(kafka_cluster, topic, [b"4", b"5"])
        wait_for_caught_up(5)  # ... and says so again once it has the new records
    finally:
        proc.send_signal(signal.SIGTERM)
        stdout, rest = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    assert "recorded 5 records from 1 topics" in stdout and "interrupted; file closed cleanly" in stdout
    assert [r.value for r in read_recording(out)] == [b"1", b"2", b"3", b"4", b"5"]  # the trailer agrees
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.jsonl.gz"], "no temporary file is left"
    assert _caught_up(lines) == [3, 5] and "Traceback" not in rest


def _on_a_terminal(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run sigma with stderr on a pseudo-terminal (where bars are drawn); its exit code and what it drew."""
    controller, terminal = pty.openpty()
    full = {k: v for k, v in os.environ.items() if k != "CI"}
    proc = subprocess.Popen([SIGMA, *args], env={**full, **env, "COLUMNS": "120"}, stdout=subprocess.DEVNULL,
                            stderr=terminal)
    os.close(terminal)
    drawn = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process is gone
            break
        if not chunk:
            break
        drawn += chunk
    os.close(controller)
    return proc.wait(timeout=60), drawn.decode(errors="replace")


def test_bars_count_against_the_known_total(kafka_cluster: KafkaCluster, chain_prefix: str, tmp_path: Path) -> None:
    env = {**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": chain_prefix}
    simulated = sigma("simulate", "--cases", "40", "--summary-json", str(tmp_path / "s.json"), env=env)
    assert simulated.returncode == 0, simulated.stderr
    events = json.loads((tmp_path / "s.json").read_text())["events"]
    code, drawn = _on_a_terminal("record", "--out", str(tmp_path / "r.jsonl"), "--to-end", env=env)
    assert code == 0 and _counted(drawn) == f"{events}/{events}", drawn
    code, drawn = _on_a_terminal("validate", "--to-end", "--state-dir", str(tmp_path / "state"), "-q", env=env)
    assert code == 0 and _counted(drawn) == f"{events}/{events}", drawn


def _counted(drawn: str) -> str:
    """The last count a bar showed; no record is ever counted against an unknown total (N/? only while 0)."""
    shown = re.findall(r"(?<![\d/])(\d+)/(\d+|\?)", drawn)
    assert shown and all(done == "0" for done, total in shown if total == "?"), shown
    return "/".join(shown[-1])
