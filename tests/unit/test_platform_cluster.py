"""The embedded cluster's pure logic (ports, node ids, quorum, replication rule, state file) and its one-line
errors; the cluster itself runs in ``tests/integration/test_platform_cluster.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.broker.cluster import (
    STATE_FILE,
    ClusterState,
    EmbeddedCluster,
    NodeState,
    client_ports,
    cluster_bootstrap,
    internal_topic_properties,
    quorum_voters,
    read_state,
)
from runtime.broker.embedded import EmbeddedBroker
from runtime.errors import SigmaError, UsageError
from runtime.settings import load_settings
from runtime.topics import Replication, replication
from tests.clirunner import sigma

NO_CLUSTER = ("SIGMA_BOOTSTRAP_SERVERS",)
STATE = ClusterState("abc", False, (NodeState(1, 9092, 40001, None), NodeState(2, 9093, 40002, None),
                                    NodeState(3, 9094, 40003, None)))


def test_client_ports_are_consecutive_from_the_first() -> None:
    assert client_ports(9092, 3) == [9092, 9093, 9094]
    assert client_ports(65533, 3) == [65533, 65534, 65535]
    assert client_ports(9092, 1) == [9092]


@pytest.mark.parametrize(("first", "nodes", "words"), [(65534, 3, "ports 65534 to 65536"), (9092, 0, "0 nodes"),
                                                       (9092, 10, "10 nodes")])
def test_impossible_ports_or_sizes_are_refused(first: int, nodes: int, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        client_ports(first, nodes)


def test_quorum_voters_name_every_node_by_id_and_controller_port_in_id_order() -> None:
    assert quorum_voters({3: 40003, 1: 40001, 2: 40002}) == "1@127.0.0.1:40001,2@127.0.0.1:40002,3@127.0.0.1:40003"


@pytest.mark.parametrize(("brokers", "expected"), [
    (1, Replication(1, None)), (2, Replication(2, None)), (3, Replication(3, 2)), (5, Replication(3, 2)),
    (0, Replication(1, None)),
])
def test_replication_factor_is_min_3_brokers_with_two_in_sync_from_three_on(brokers: int,
                                                                            expected: Replication) -> None:
    assert replication(brokers) == expected


def test_the_in_sync_minimum_becomes_a_topic_config_only_when_set() -> None:
    assert replication(3).configs() == {"min.insync.replicas": "2"}
    assert replication(1).configs() == {}


def test_kafkas_own_topics_are_replicated_like_the_chains() -> None:
    three = internal_topic_properties(3)
    assert three["offsets.topic.replication.factor"] == "3" and three["transaction.state.log.min.isr"] == "2"
    assert three["min.insync.replicas"] == "2" and three["default.replication.factor"] == "3"
    one = internal_topic_properties(1)
    assert one["offsets.topic.replication.factor"] == "1" and one["min.insync.replicas"] == "1"


def test_each_node_gets_its_id_and_the_same_voters() -> None:
    seats = [STATE.seat(node) for node in STATE.nodes]
    assert [seat.node_id for seat in seats] == [1, 2, 3]
    assert {seat.voters for seat in seats} == {"1@127.0.0.1:40001,2@127.0.0.1:40002,3@127.0.0.1:40003"}
    assert [seat.controller_port for seat in seats] == [40001, 40002, 40003]
    assert {seat.cluster_id for seat in seats} == {"abc"}


def test_a_node_formats_as_a_static_voter_not_standalone(tmp_path: Path) -> None:
    node = EmbeddedBroker(port=9093, data_dir=tmp_path, libs=None, secured=False, seat=STATE.seat(STATE.nodes[1]))
    props = node._properties({"cluster_id": "abc", "controller_port": 40002}).splitlines()
    assert "node.id=2" in props
    assert "controller.quorum.voters=1@127.0.0.1:40001,2@127.0.0.1:40002,3@127.0.0.1:40003" in props
    assert not any(line.startswith("controller.quorum.bootstrap.servers") for line in props)
    assert "listeners=PLAINTEXT://127.0.0.1:9093,CONTROLLER://127.0.0.1:40002" in props


def test_state_round_trips_and_gives_every_node_to_clients(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGMA_BOOTSTRAP_SERVERS", raising=False)
    assert ClusterState.from_json(STATE.to_json()) == STATE
    folder = tmp_path / "broker-9092"
    folder.mkdir()
    (folder / STATE_FILE).write_text(STATE.to_json())
    assert read_state(folder) == STATE
    assert cluster_bootstrap(folder) == "127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094"
    assert load_settings(home=tmp_path, broker_port=9092).bootstrap == "127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094"
    assert load_settings(home=tmp_path, broker_port=9092, bootstrap_servers="kafka:9092").bootstrap == "kafka:9092"
    assert load_settings(home=tmp_path, broker_port=9095).bootstrap == "127.0.0.1:9095"


def _cluster(folder: Path, *, nodes: int | None = 3, secured: bool = False) -> EmbeddedCluster:
    return EmbeddedCluster(port=9092, nodes=nodes, data_dir=folder, libs=None, secured=secured)


def test_a_new_cluster_plans_consecutive_ports_and_distinct_controller_ports(tmp_path: Path) -> None:
    plan = _cluster(tmp_path / "c", secured=True).prepare()
    assert [(n.node_id, n.port) for n in plan.nodes] == [(1, 9092), (2, 9093), (3, 9094)]
    ports = [n.controller_port for n in plan.nodes] + [n.internal_port for n in plan.nodes]
    assert len(set(ports)) == 6 and plan.secured
    assert not (tmp_path / "c").exists(), "nothing is written before the start"


def test_a_formed_cluster_keeps_its_size_and_mode(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text(STATE.to_json())
    assert _cluster(tmp_path, nodes=None).prepare() == STATE
    with pytest.raises(UsageError, match="has 3 nodes, not 5: start it without --nodes"):
        _cluster(tmp_path, nodes=5).prepare()
    with pytest.raises(UsageError, match=r"was formed plaintext \(--insecure\): start it with --insecure"):
        _cluster(tmp_path, secured=True).prepare()


def test_a_single_brokers_folder_is_not_made_a_cluster(tmp_path: Path) -> None:
    (tmp_path / "sigma-broker.json").write_text('{"cluster_id": "x", "controller_port": 1}')
    with pytest.raises(UsageError, match="holds a single broker, not a cluster"):
        _cluster(tmp_path).prepare()


@pytest.mark.parametrize("content", [b"{garbage", b"", b"[1]", b'{"cluster_id": "x"}', b'{"cluster_id": "x", '
                                     b'"nodes": [{"node_id": 1}]}', b"\xff\xfe"])
def test_a_corrupt_cluster_state_is_one_line(tmp_path: Path, content: bytes) -> None:
    data = tmp_path / "cluster"
    data.mkdir()
    (data / STATE_FILE).write_bytes(content)
    with pytest.raises(SigmaError):
        read_state(data)
    assert cluster_bootstrap(data) is None
    kafka = tmp_path / "kafka"
    args, env = ("--port", "1", "--data-dir", str(data)), {"SIGMA_KAFKA_DIR": str(kafka), "SIGMA_INSECURE": "1"}
    start = sigma("broker", "start", *args, env=env, drop=NO_CLUSTER)
    lines = start.stderr.strip().splitlines()
    assert start.returncode == 1 and len(lines) == 1, start.stderr
    assert lines[0].startswith(f"sigma: error: cluster state file {data}/{STATE_FILE} is unreadable")
    assert lines[0].endswith(f"restore it or remove {data} to start with new, empty storage")
    assert not kafka.exists()
    status = sigma("broker", "status", *args, env=env, drop=NO_CLUSTER)
    assert status.returncode == 1 and status.stderr == ""
    assert status.stdout.startswith("not running: 0 of 0 nodes") and "cluster state file" in status.stdout
    stop = sigma("broker", "stop", *args, env=env, drop=NO_CLUSTER)
    assert stop.returncode == 0 and stop.stdout.startswith("not running")
