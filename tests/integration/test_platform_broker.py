"""The embedded broker's lifecycle through the CLI, and its error cases, on real Apache Kafka."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.broker.embedded import free_port
from tests.clirunner import sigma

pytestmark = pytest.mark.kafka
NO_CLUSTER = ("SIGMA_BOOTSTRAP_SERVERS",)


@pytest.fixture
def broker_dir(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A port and data folder for a broker the test starts itself; always stopped afterwards."""
    port = str(free_port())
    data = tmp_path / f"broker-{port}"  # where SIGMA_HOME=tmp_path and SIGMA_BROKER_PORT=port find it
    try:
        yield port, data
    finally:
        sigma("broker", "stop", "--port", port, "--data-dir", str(data), drop=NO_CLUSTER)


def test_start_status_stop_and_restart_keeps_data(broker_dir: tuple[str, Path]) -> None:
    port, data = broker_dir
    args = ("--port", port, "--data-dir", str(data))

    down = sigma("broker", "status", *args, drop=NO_CLUSTER)
    assert down.returncode == 1 and "not running" in down.stdout

    started = sigma("broker", "start", *args, drop=NO_CLUSTER)
    assert started.returncode == 0, started.stderr
    assert f"started: 127.0.0.1:{port}" in started.stdout

    again = sigma("broker", "start", *args, drop=NO_CLUSTER)
    assert again.returncode == 0 and "already running" in again.stdout

    up = sigma("broker", "status", *args, drop=NO_CLUSTER)
    assert up.returncode == 0 and f"running: 127.0.0.1:{port}" in up.stdout

    env = {"SIGMA_HOME": str(data.parent), "SIGMA_BROKER_PORT": port}  # the secured broker, as admin
    applied = sigma("topics", "apply", env=env, drop=NO_CLUSTER)
    assert applied.returncode == 0, applied.stderr
    assert "created  chain.medical.fit-to-fly [3 partitions]" in applied.stdout
    reapplied = sigma("topics", "apply", env=env, drop=NO_CLUSTER)
    assert "exists   chain.medical.fit-to-fly [3 partitions]" in reapplied.stdout

    stopped = sigma("broker", "stop", *args, drop=NO_CLUSTER)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert sigma("broker", "status", *args, drop=NO_CLUSTER).returncode == 1
    assert (data / "logs" / "server.log").stat().st_size > 0

    assert sigma("broker", "start", *args, drop=NO_CLUSTER).returncode == 0
    kept = sigma("topics", "apply", env=env, drop=NO_CLUSTER)
    assert "exists   chain.medical.fit-to-fly" in kept.stdout, "topics must survive a stop and start"


def test_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = sigma("broker", "start", "--port", port, "--data-dir", str(tmp_path), drop=NO_CLUSTER)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == (f"sigma: error: port {port} on 127.0.0.1 is already in use by another process: "
                         "choose another with --port (or SIGMA_BROKER_PORT), or stop that process")
    assert "Traceback" not in result.stderr


def test_broker_not_up_in_time_is_one_clear_line(broker_dir: tuple[str, Path]) -> None:
    port, data = broker_dir
    result = sigma("broker", "start", "--port", port, "--data-dir", str(data), "--timeout", "0.3",
                   drop=NO_CLUSTER)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"sigma: error: the broker did not answer on 127.0.0.1:{port} within 0.3s: see ")
    assert "--timeout" in last and "Traceback" not in result.stderr
    assert sigma("broker", "status", "--port", port, "--data-dir", str(data), drop=NO_CLUSTER).returncode == 1


def test_unreachable_cluster_is_one_clear_line() -> None:
    result = sigma("topics", "apply", env={"SIGMA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "SIGMA_CONNECT_TIMEOUT": "2"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        "sigma: error: cannot reach Kafka at 127.0.0.1:1 (SIGMA_BOOTSTRAP_SERVERS)")
    assert "Traceback" not in result.stderr


def test_external_cluster_starts_nothing(tmp_path: Path) -> None:
    result = sigma("broker", "start", "--data-dir", str(tmp_path / "never"),
                   env={"SIGMA_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    assert result.returncode == 0
    assert "using the existing cluster 127.0.0.1:1" in result.stdout
    assert not (tmp_path / "never").exists()


def test_missing_java_is_one_clear_line(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "JAVA_HOME": str(tmp_path / "nojdk")}
    result = sigma("broker", "start", "--port", str(free_port()), "--data-dir", str(tmp_path / "d"),
                   env=env, drop=NO_CLUSTER)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        "sigma: error: Java not found (the embedded Kafka broker needs a JDK 17 or newer): install one")


def test_missing_maven_is_one_clear_line(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "SIGMA_KAFKA_DIR": str(tmp_path / "empty-kafka")}
    result = sigma("broker", "start", "--port", str(free_port()), "--data-dir", str(tmp_path / "d"),
                   env=env, drop=NO_CLUSTER)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        "sigma: error: Maven (mvn) not found; it is needed once to resolve Apache Kafka's jars")
    assert not (tmp_path / "d").exists(), "no storage is formatted when the jars cannot be resolved"
