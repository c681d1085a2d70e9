"""One Apache Kafka 4 node in KRaft combined mode, run as a child JVM on 127.0.0.1.

The broker is a real Apache Kafka (``kafka.Kafka`` from the resolved jars), not a fake: everything the
project claims about Kafka is tested against it. State lives in one data folder so that a stop and a
start keep topics, offsets and logs:

* ``sigma-broker.json`` — cluster id, ports and whether the broker is secured, chosen when storage was formatted
* ``security/`` — the local CA, the broker's key and the principals' passwords (``runtime.broker.secrets``)
* ``server.properties`` — written on every start from the chosen ports
* ``broker.pid`` — the running JVM
* ``kraft-logs/`` — Kafka's log dirs; ``logs/server.log`` — the broker's own log

Secured (the default): clients reach a SASL_SSL listener and log in with SCRAM-SHA-512 (credentials added
when storage is formatted); the controller and inter-broker listeners accept only the broker's own
certificate (mutual TLS). The StandardAuthorizer denies what no ACL allows; only ``admin`` and the broker
itself are super users. ``secured=False`` keeps the plaintext broker for local experiments.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from runtime import outputs
from runtime.broker.secrets import ADMIN, BROKER_CN, SCRAM_MECHANISM, BrokerSecrets, write_private
from runtime.errors import SigmaError, UsageError
from runtime.probe import answers

log = structlog.get_logger(__name__)
MAIN_CLASS = "kafka.Kafka"
JVM_OPTIONS = ("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
               "-XX:+ExplicitGCInvokesConcurrent")
"""Kafka's own launcher defaults (``kafka-run-class.sh``); the heap is fixed as in ``kafka-server-start.sh``
(``-Xms`` = ``-Xmx``), so it is not resized under the first heavy load."""
LOG4J_CONFIG = Path(__file__).resolve().parents[2] / "kafka-dist" / "log4j2.properties"


@dataclass(frozen=True)
class BrokerStatus:
    """What ``sigma broker status`` reports."""

    running: bool
    pid: int | None
    bootstrap: str
    data_dir: Path
    cluster_id: str | None
    problem: str | None = None
    """Why the cluster id is unknown (an unreadable state file), with the fix."""

    def describe(self) -> str:
        """One line for humans."""
        note = f"; {self.problem}" if self.problem else ""
        if self.running:
            return (f"running: {self.bootstrap} (pid {self.pid}, cluster {self.cluster_id}, data {self.data_dir})"
                    + note)
        return f"not running: {self.bootstrap} (data {self.data_dir}){note}"


def find_java() -> str:
    """The ``java`` of JAVA_HOME, else on PATH; a clear error when there is none."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise SigmaError(
            "Java not found (the embedded Kafka broker needs a JDK 17 or newer)",
            fix="install one (apt-get install openjdk-17-jre-headless) or set JAVA_HOME, "
            "or set SIGMA_BOOTSTRAP_SERVERS to use an existing cluster",
        )
    return found


def port_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def free_port() -> int:
    """A port the kernel considers free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    """True when the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _is_kafka(pid: int) -> bool:
    """True when the pid is a JVM running Kafka's main class (guards against a recycled pid)."""
    try:
        return MAIN_CLASS.encode() in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False


def new_cluster_id() -> str:
    """A random KRaft cluster id: 16 bytes, URL-safe base64, never starting with ``-``.

    ``kafka-storage format -t`` parses its arguments with argparse4j, which reads an id starting with
    ``-`` as an option and fails (one id in 64 would); Kafka's own ``Uuid.randomUuid`` skips those too.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


@dataclass(frozen=True)
class QuorumSeat:
    """One node's place in a multi-node quorum, as the cluster chose it when it was formed
    (``runtime.broker.cluster``): the node formats with the cluster's id and the static voters instead of
    ``--standalone``, and listens on the ports the other nodes were told."""

    node_id: int
    cluster_id: str
    voters: str
    """``controller.quorum.voters``: ``id@127.0.0.1:controller_port`` of every node."""
    controller_port: int
    internal_port: int | None
    """The secured inter-broker listener's port; None for a plaintext cluster."""


class EmbeddedBroker:
    """Start, stop and inspect one KRaft broker whose state lives in ``data_dir``."""

    def __init__(self, *, port: int, data_dir: Path, libs: Path | None, heap: str = "512m",
                 properties: Mapping[str, str] | None = None, secured: bool = True,
                 principals: Sequence[str] = (), seat: QuorumSeat | None = None,
                 secrets: BrokerSecrets | None = None) -> None:
        """``properties`` are broker settings added to (or overriding) ``server.properties`` at each start;
        ``principals`` get a SCRAM credential (besides ``admin``) when a secured broker's storage is formatted.
        ``seat`` makes this broker one node of a multi-node cluster, whose nodes share one CA and one set of
        credentials: ``secrets`` (default: the data folder's own)."""
        self.port = port
        self.data_dir = data_dir.resolve()
        self.secured = secured
        self.principals = tuple(principals)
        self.seat = seat
        self.secrets = secrets or BrokerSecrets.of(self.data_dir)
        self.libs = libs
        self.heap = heap
        self.properties = dict(properties or {})
        self._child: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "logs" / "server.log"

    @property
    def _meta_file(self) -> Path:
        return self.data_dir / "sigma-broker.json"

    def _meta(self) -> dict[str, str | int] | None:
        """The ids chosen when storage was formatted, None before that; an error naming the file and the fix
        when it is unreadable (a broker cannot start without them, and formatting again would fail)."""
        if not self._meta_file.is_file():
            return None
        try:
            data = json.loads(self._meta_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            problem = f"unreadable ({type(exc).__name__})"
        else:
            port = data.get("controller_port") if isinstance(data, dict) else None
            valid = isinstance(data, dict) and isinstance(data.get("cluster_id"), str) and isinstance(port, int)
            problem = "" if valid else "incomplete (cluster_id and controller_port expected)"
        if problem:
            raise SigmaError(f"broker state file {self._meta_file} is {problem}",
                             fix=f'restore it ({{"cluster_id": "…", "controller_port": N}}) or remove {self.data_dir} '
                                 "to start with new, empty storage")
        meta: dict[str, str | int] = data
        return meta

    def pid(self) -> int | None:
        """The pid of this data folder's running broker, or None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) and _is_kafka(pid) else None

    def status(self) -> BrokerStatus:
        """Running or not, from the pid file and the port; an unreadable state file is reported, not raised."""
        pid = self.pid()
        problem = None
        try:
            meta = self._meta() or {}
        except SigmaError as exc:
            meta, problem = {}, str(exc)
        cluster = meta.get("cluster_id")
        cafile = self.secrets.ca_pem if meta.get("secured") else None
        running = pid is not None and answers("127.0.0.1", self.port, cafile)
        return BrokerStatus(running, pid, self.bootstrap, self.data_dir, str(cluster) if cluster else None, problem)

    def _classpath(self) -> str:
        if self.libs is None or not any(self.libs.glob("kafka_2.13-*.jar")):
            raise SigmaError(f"no Kafka jars in {self.libs}", fix="run `make kafka` to resolve them")
        return f"{self.libs}/*"

    def _listeners(self, meta: Mapping[str, str | int]) -> list[str]:
        """Listener settings: plaintext, or SASL_SSL for clients and mutual TLS between broker and controller."""
        controller = f"CONTROLLER://127.0.0.1:{meta['controller_port']}"
        if not meta.get("secured"):
            return [f"listeners=PLAINTEXT://127.0.0.1:{self.port},{controller}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"]
        internal = f"INTERNAL://127.0.0.1:{meta['internal_port']}"
        return [f"listeners=CLIENT://127.0.0.1:{self.port},{internal},{controller}",
                f"advertised.listeners=CLIENT://127.0.0.1:{self.port},{internal}",
                "inter.broker.listener.name=INTERNAL",
                "listener.security.protocol.map=CLIENT:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL",
                f"sasl.enabled.mechanisms={SCRAM_MECHANISM}",
                f"listener.name.client.sasl.enabled.mechanisms={SCRAM_MECHANISM}",
                f"listener.name.client.{SCRAM_MECHANISM.lower()}.sasl.jaas.config="
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "listener.name.internal.ssl.client.auth=required",
                "listener.name.controller.ssl.client.auth=required",
                "ssl.keystore.type=PEM", f"ssl.keystore.location={self.secrets.keystore}",
                "ssl.truststore.type=PEM", f"ssl.truststore.location={self.secrets.ca_pem}",
                "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "allow.everyone.if.no.acl.found=false",
                f"super.users=User:{ADMIN};User:CN={BROKER_CN}"]

    def _properties(self, meta: Mapping[str, str | int]) -> str:
        kraft = self.data_dir / "kraft-logs"
        return "\n".join(
            [
                "process.roles=broker,controller",
                f"node.id={self.seat.node_id if self.seat else 1}",
                f"controller.quorum.voters={self.seat.voters}" if self.seat
                else f"controller.quorum.bootstrap.servers=127.0.0.1:{meta['controller_port']}",
                *self._listeners(meta),
                "controller.listener.names=CONTROLLER",
                f"log.dirs={kraft}",
                "num.partitions=3",
                "auto.create.topics.enable=false",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=10",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "num.io.threads=4",
                "num.network.threads=2",
                *(f"{key}={value}" for key, value in self.properties.items()),
                "",
            ]
        )

    def _format(self, java: str) -> dict[str, str | int]:
        """Format storage once (``kafka-storage.sh format --standalone``, or with the static voters of a
        cluster's ``seat``) and remember the ids.

        A secured broker's CA, key and passwords are made first; the SCRAM credentials reach the storage tool
        through a java argument file (0600, removed at once), never through the process's arguments.
        """
        seat = self.seat
        cluster_id = seat.cluster_id if seat else new_cluster_id()
        meta: dict[str, str | int] = {"cluster_id": cluster_id,
                                      "controller_port": seat.controller_port if seat else free_port()}
        scram: list[str] = []
        if self.secured:
            internal = seat.internal_port if seat else None
            meta |= {"internal_port": internal or free_port(), "secured": 1}
            if not self.secrets.exists():
                self.secrets.create(self.principals)
            scram = self.secrets.scram_arguments()
        props = self.data_dir / "server.properties"
        outputs.write_text(props, self._properties(meta))
        argfile = self.data_dir / "format.args"
        quorum = [] if seat else ["--standalone"]
        write_private(argfile, "\n".join(["kafka.tools.StorageTool", "format", *quorum, "-t", cluster_id,
                                          "-c", str(props), *scram]))
        try:
            proc = subprocess.run(
                [java, "-cp", self._classpath(), f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
                 f"-Dkafka.logs.dir={self.data_dir / 'logs'}", f"@{argfile}"],
                capture_output=True, text=True, check=False,
            )
        finally:
            argfile.unlink()
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
            raise SigmaError(f"formatting Kafka storage failed: {detail[0][:300]}",
                             fix=f"remove {self.data_dir} and retry")
        outputs.write_text(self._meta_file, json.dumps(meta))
        return meta

    def prepare(self) -> dict[str, str | int] | None:
        """What a start needs before anything slow (resolving jars can take minutes): a readable state file
        (returned; None before the first start) and a data folder that is, or can be created, writable.
        Nothing is created here: a start that fails later leaves no empty data folder behind."""
        meta = self._meta()
        try:
            outputs.check_folder(self.data_dir, "the broker data folder")
        except UsageError as exc:
            raise UsageError(exc.message, fix="set SIGMA_HOME (or --data-dir) to a writable folder") from None
        return meta

    def start(self, timeout: float = 120.0) -> BrokerStatus:
        """Start the broker (formatting on first use) and return once it answers.

        Idempotent: when this data folder's broker already runs, says so and returns its status.
        """
        current = self.launch()
        return current if current is not None else self.await_ready(timeout)

    def launch(self) -> BrokerStatus | None:
        """Start the broker's JVM (formatting on first use) without waiting for it; its status when it already
        runs. Apart from ``await_ready`` because a node of a multi-node cluster answers only once a majority of
        the quorum runs: the cluster launches every node before it waits for any."""
        meta = self.prepare()
        current = self.status()
        if current.running:
            return current
        java = find_java()
        self._classpath()
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        if not port_free(self.port):
            raise SigmaError(f"port {self.port} on 127.0.0.1 is already in use by another process",
                             fix="choose another with --port (or SIGMA_BROKER_PORT), or stop that process")
        if meta is None:
            meta = self._format(java)
        self._check_mode(meta)
        for key in ("controller_port", "internal_port"):
            if key in meta and not port_free(int(meta[key])):
                raise SigmaError(
                    f"{key.split('_')[0]} port {meta[key]} of {self.data_dir} is already in use",
                    fix="stop the process holding it, or use a new --data-dir",
                )
        props = self.data_dir / "server.properties"
        outputs.write_text(props, self._properties(meta))
        out = (self.data_dir / "logs" / "stdout.log").open("ab")
        cmd = [java, *JVM_OPTIONS, f"-Xms{self.heap}", f"-Xmx{self.heap}",
               "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
               f"-Dkafka.logs.dir={self.data_dir / 'logs'}", "-cp", self._classpath(), MAIN_CLASS, str(props)]
        self._child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True, cwd=self.data_dir)
        out.close()
        outputs.write_text(self.pid_file, str(self._child.pid))
        log.info("broker starting", bootstrap=self.bootstrap, pid=self._child.pid, data_dir=str(self.data_dir))
        return None

    def await_ready(self, timeout: float) -> BrokerStatus:
        """Wait until the launched broker answers; stop it and raise when it exits or does not answer in time."""
        assert self._child is not None, "await_ready follows launch"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._child.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise SigmaError(f"the broker exited during start-up (code {self._child.returncode}): "
                                 f"{self._last_error()}", fix=f"see {self.log_file}")
            if answers("127.0.0.1", self.port, self.secrets.ca_pem if self.secured else None):
                return self.status()
            time.sleep(0.25)
        self.stop()
        raise SigmaError(f"the broker did not answer on {self.bootstrap} within {timeout:g}s",
                         fix=f"see {self.log_file}; raise the wait with --timeout or SIGMA_BROKER_START_TIMEOUT")

    def _check_mode(self, meta: Mapping[str, str | int]) -> None:
        """A data folder keeps the mode it was formatted in: plaintext data never silently becomes "secured"."""
        if bool(meta.get("secured")) == self.secured:
            return
        if self.secured:
            raise SigmaError(f"the broker data in {self.data_dir} was made without security (plaintext)",
                             fix="remove that folder to start a secured broker afresh, or start it with --insecure")
        raise SigmaError(f"the broker data in {self.data_dir} belongs to a secured broker",
                         fix="start it without --insecure, or use another --data-dir for a plaintext broker")

    def _last_error(self) -> str:
        for path in (self.log_file, self.data_dir / "logs" / "stdout.log"):
            if path.is_file():
                lines = [ln for ln in path.read_text(errors="replace").splitlines() if "ERROR" in ln]
                if lines:
                    return lines[-1].strip()[:300]
        return "no error in the log"

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the broker cleanly (SIGTERM, then SIGKILL after ``timeout``). False if none was running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._child is not None and self._child.pid == pid:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._child.wait(0.2)
            if not _alive(pid):
                break
            time.sleep(0.2)
        else:
            log.warning("broker did not stop in time; killing it", pid=pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if self._child is not None and self._child.pid == pid:
                self._child.wait()
        self.pid_file.unlink(missing_ok=True)
        return True
