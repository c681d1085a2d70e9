"""Several embedded Kafka nodes on one machine as one KRaft cluster, for tests and demos of broker failures.

Each node is an ``EmbeddedBroker`` in combined broker+controller mode, and every node is a voter of a static
quorum (``controller.quorum.voters``), so a three-node cluster keeps working with one node down. The cluster's
folder holds:

* ``sigma-cluster.json`` — cluster id, whether it is secured, and each node's id and ports, chosen when the
  cluster was formed; ``status``, ``stop`` and every client (``Settings.bootstrap``) find the nodes here
* ``security/`` — one CA, one broker key and one password per principal, shared by every node (a secured
  cluster's inter-broker and controller listeners accept only that broker certificate, as a single node's do)
* ``node-<id>/`` — each node's own data folder (``runtime.broker.embedded``)

Client ports are consecutive from the first (``--port``): 9092, 9093 and 9094 by default. The internal
topics are replicated like the chain's topics (``runtime.topics.replication``), so consumer groups survive a
node too.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime import outputs
from runtime.broker.embedded import BrokerStatus, EmbeddedBroker, QuorumSeat, free_port, new_cluster_id
from runtime.broker.secrets import BrokerSecrets
from runtime.errors import SigmaError, UsageError
from runtime.topics import replication

STATE_FILE = "sigma-cluster.json"
MAX_NODES = 9


def client_ports(first: int, nodes: int) -> list[int]:
    """The nodes' client ports: consecutive from ``first``, so a user can name them without reading a file."""
    if not 1 <= nodes <= MAX_NODES:
        raise UsageError(f"a cluster of {nodes} nodes", fix=f"choose from 1 to {MAX_NODES} nodes")
    if first + nodes - 1 > 65535:
        raise UsageError(f"ports {first} to {first + nodes - 1} do not all exist",
                         fix="choose a lower --port (or SIGMA_BROKER_PORT)")
    return [first + i for i in range(nodes)]


def quorum_voters(controllers: Mapping[int, int]) -> str:
    """``controller.quorum.voters`` for the nodes' controller ports (node id -> port)."""
    return ",".join(f"{node}@127.0.0.1:{port}" for node, port in sorted(controllers.items()))


def internal_topic_properties(nodes: int) -> dict[str, str]:
    """Broker settings that replicate Kafka's own topics (consumer offsets, transactions), and topics other tools
    create, as sigma replicates the chain's: a consumer group's commits survive a node as its records do."""
    copies = replication(nodes)
    isr = str(copies.min_insync or 1)
    return {"offsets.topic.replication.factor": str(copies.factor),
            "transaction.state.log.replication.factor": str(copies.factor),
            "transaction.state.log.min.isr": isr,
            "share.coordinator.state.topic.replication.factor": str(copies.factor),
            "share.coordinator.state.topic.min.isr": isr,
            "default.replication.factor": str(copies.factor),
            "min.insync.replicas": isr}


@dataclass(frozen=True)
class NodeState:
    """One node's id and ports, fixed when the cluster was formed."""

    node_id: int
    port: int
    controller_port: int
    internal_port: int | None


@dataclass(frozen=True)
class ClusterState:
    """What ``sigma-cluster.json`` holds."""

    cluster_id: str
    secured: bool
    nodes: tuple[NodeState, ...]

    @property
    def bootstrap(self) -> str:
        """Every node's client address: a client reaches the cluster while any one node runs."""
        return ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)

    def seat(self, node: NodeState) -> QuorumSeat:
        voters = quorum_voters({n.node_id: n.controller_port for n in self.nodes})
        return QuorumSeat(node.node_id, self.cluster_id, voters, node.controller_port, node.internal_port)

    def to_json(self) -> str:
        return json.dumps({"cluster_id": self.cluster_id, "secured": self.secured,
                           "nodes": [vars(node) for node in self.nodes]}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> ClusterState:
        """Parse the state file; ValueError (with what is wrong) when it is not one."""
        data: Any = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("cluster_id"), str):
            raise ValueError("no cluster_id")
        nodes = data.get("nodes")
        if not isinstance(nodes, list) or not nodes:
            raise ValueError("no nodes")
        try:
            parsed = tuple(NodeState(int(n["node_id"]), int(n["port"]), int(n["controller_port"]),
                                     None if n.get("internal_port") is None else int(n["internal_port"]))
                           for n in nodes)
        except (TypeError, KeyError, ValueError) as exc:
            raise ValueError("a node without node_id, port and controller_port") from exc
        return cls(data["cluster_id"], bool(data.get("secured")), parsed)


def read_state(folder: Path) -> ClusterState | None:
    """The state of the cluster in ``folder``, None when there is none; a one-line error naming the file and
    the fix when it is unreadable (without it the nodes cannot be found, and forming anew would fail)."""
    path = folder / STATE_FILE
    if not path.is_file():
        return None
    try:
        return ClusterState.from_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problem = f"unreadable ({type(exc).__name__}: {exc})" if str(exc) else f"unreadable ({type(exc).__name__})"
    raise SigmaError(f"cluster state file {path} is {problem}",
                     fix=f"restore it or remove {folder} to start with new, empty storage")


def cluster_bootstrap(folder: Path) -> str | None:
    """Every node's address when ``folder`` holds a cluster, else None (also for an unreadable state, which
    ``sigma broker status`` reports): what clients of the embedded broker bootstrap from."""
    try:
        state = read_state(folder)
    except SigmaError:
        return None
    return state.bootstrap if state else None


@dataclass(frozen=True)
class ClusterStatus:
    """What ``sigma broker status`` reports for a cluster: one line for it, one per node."""

    data_dir: Path
    nodes: tuple[tuple[int, BrokerStatus], ...]
    problem: str | None = None

    @property
    def running(self) -> bool:
        """True when every node runs."""
        return bool(self.nodes) and all(status.running for _, status in self.nodes)

    def describe(self) -> str:
        up = sum(status.running for _, status in self.nodes)
        state = "running" if self.running else "degraded" if up else "not running"
        head = f"{state}: {up} of {len(self.nodes)} nodes (data {self.data_dir})"
        if self.problem:
            return f"{head}; {self.problem}"
        return "\n".join([head, *(f"  node {node}: {status.describe()}" for node, status in self.nodes)])


class EmbeddedCluster:
    """Start, stop and inspect a cluster of embedded nodes whose state lives in ``data_dir``."""

    def __init__(self, *, port: int, nodes: int | None, data_dir: Path, libs: Path | None, heap: str = "512m",
                 properties: Mapping[str, str] | None = None, secured: bool = True,
                 principals: Sequence[str] = ()) -> None:
        """``nodes`` is the size of a cluster yet to be formed; None takes the formed cluster's (a different
        number for a formed cluster is an error, see ``prepare``). ``heap`` and ``properties`` apply per node."""
        self.port = port
        self.size = nodes
        self.data_dir = data_dir.resolve()
        self.libs = libs
        self.heap = heap
        self.properties = dict(properties or {})
        self.secured = secured
        self.principals = tuple(principals)
        self.secrets = BrokerSecrets.of(self.data_dir)
        self._started: dict[int, EmbeddedBroker] = {}

    @property
    def state_file(self) -> Path:
        return self.data_dir / STATE_FILE

    def prepare(self) -> ClusterState:
        """The formed cluster's state, or a new one (written at start): refused, before anything slow, for a
        folder holding a single broker, a node count other than the formed cluster's, or a folder that cannot
        be written."""
        state = read_state(self.data_dir)
        if state is None and (self.data_dir / "sigma-broker.json").is_file():
            raise UsageError(f"{self.data_dir} holds a single broker, not a cluster",
                             fix="start it without --nodes, or give the cluster another --data-dir or --port")
        if state is not None and state.secured != self.secured:
            mode = "secured" if state.secured else "plaintext (--insecure)"
            raise UsageError(f"the cluster in {self.data_dir} was formed {mode}",
                             fix=f"start it {'without' if state.secured else 'with'} --insecure, or remove that "
                             "folder to form a new cluster")
        if state is not None and self.size is not None and self.size != len(state.nodes):
            raise UsageError(f"the cluster in {self.data_dir} has {len(state.nodes)} nodes, not {self.size}",
                             fix="start it without --nodes, or remove that folder to form a new cluster")
        try:
            outputs.check_folder(self.data_dir, "the broker data folder")
        except UsageError as exc:
            raise UsageError(exc.message, fix="set SIGMA_HOME (or --data-dir) to a writable folder") from None
        if state is not None:
            return state
        ports = client_ports(self.port, self.size or 1)
        return ClusterState(new_cluster_id(), self.secured, tuple(
            NodeState(i, port, free_port(), free_port() if self.secured else None)
            for i, port in enumerate(ports, start=1)))

    def nodes(self, state: ClusterState | None = None) -> list[EmbeddedBroker]:
        """The cluster's nodes (the formed cluster's, or those ``state`` describes), one ``EmbeddedBroker`` each."""
        state = state or read_state(self.data_dir)
        if state is None:
            return []
        properties = {**internal_topic_properties(len(state.nodes)), **self.properties}
        return [self._started.get(node.node_id) or EmbeddedBroker(
                    port=node.port, data_dir=self.data_dir / f"node-{node.node_id}", libs=self.libs, heap=self.heap,
                    properties=properties, secured=self.secured, principals=self.principals,
                    seat=state.seat(node), secrets=self.secrets)
                for node in state.nodes]

    def node(self, node_id: int) -> EmbeddedBroker:
        """One node, to stop, kill or start on its own (tests of a failing broker)."""
        return {n.seat.node_id: n for n in self.nodes() if n.seat}[node_id]

    def start(self, timeout: float = 120.0) -> ClusterStatus:
        """Form the cluster on first use, start every node that does not run, and return once all answer.

        Every node is launched before any is waited for: a node answers only once a majority of voters runs.
        A start that fails stops the nodes it launched.
        """
        state = self.prepare()
        if not self.state_file.is_file():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            outputs.write_text(self.state_file, state.to_json())
        launched: list[EmbeddedBroker] = []
        try:
            for node in self.nodes(state):
                if node.launch() is None:
                    launched.append(node)
                    assert node.seat is not None
                    self._started[node.seat.node_id] = node
            for node in launched:
                node.await_ready(timeout)
        except BaseException:
            _stop_all(launched)
            raise
        return self.status()

    def status(self) -> ClusterStatus:
        """Every node's status; an unreadable state file is reported, not raised."""
        try:
            nodes = self.nodes()
        except SigmaError as exc:
            return ClusterStatus(self.data_dir, (), str(exc))
        return ClusterStatus(self.data_dir, tuple((n.seat.node_id if n.seat else 0, n.status()) for n in nodes))

    def stop(self, timeout: float = 60.0) -> int:
        """Stop every running node (all told at once, so none waits for a quorum that is going away); the
        number that ran. With an unreadable state file the nodes are found by their folders."""
        try:
            nodes = self.nodes()
        except SigmaError:
            nodes = [EmbeddedBroker(port=self.port, data_dir=folder, libs=self.libs)
                     for folder in sorted(self.data_dir.glob("node-*"))]
        return _stop_all(nodes, timeout)


def _stop_all(nodes: Sequence[EmbeddedBroker], timeout: float = 60.0) -> int:
    running = [(node, pid) for node in nodes if (pid := node.pid()) is not None]
    for _, pid in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for node, _ in running:
        node.stop(timeout)
    return len(running)
