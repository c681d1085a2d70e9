"""Validators in one consumer group (issue 18): how soon a dead member's partitions are processed again, and
one instance against two on the same backlog.

Failover. A fresh topic prefix gets a live stream (the records of an ``inspectie-2018`` simulation of
``STREAM_CASES`` cases, sent from this process at ``RATE`` records/s) that two ``sigma validate --group G``
processes validate, each with its own ``--state-dir``, the validator's default session settings
(``SIGMA_GROUP_SESSION_TIMEOUT``, ``validator.online.group_timing``) and the default ``--snapshot-interval``.
Once both have committed records of their own partitions, one of them (the two take turns, round by round)
is killed with SIGKILL, and the group is watched from outside every ``POLL`` seconds (``Group.look``, read by
``failover``), each step timed from the kill:

* reassigned: the group is stable with the survivor alone holding every chain partition (an admin client's
  DescribeGroups): the coordinator saw the member die, which for a killed one takes its session timeout, and
  the group rebalanced;
* restored: the survivor logged (``--log-level debug``, JSON) that the group gave it partitions including the
  dead member's, which it does once it has restored their cases (``restore_logs`` reads the line: when, from
  where, how many cases);
* committed: the group's committed offset of one of the dead member's partitions passed its value at the
  kill: the survivor processed records of them and committed them in a transaction. This is the step the
  target (issue 18: under 15 s) is held to, because committed offsets are what the group has durably done
  (findings, state and offsets go in one transaction); they follow the processing by up to the commit
  cadence (``--snapshot-interval``, sooner when caught up with findings to publish);
* caught up: the group has committed each of the dead member's partitions up to its end offset at the kill
  (what the dead member left behind is done).

One more round stops the member with SIGTERM instead (it closes, leaving the group): the same hand-over
without the wait for the session timeout, which shows what the timeout accounts for. ``--session-timeout S``
compares another session timeout (``SIGMA_GROUP_SESSION_TIMEOUT=S`` for the members; 45 is Kafka's default)
and runs only the SIGKILL rounds.

Throughput. A backlog of ``BACKLOG_CASES`` cases (``--quick``: 2,000) under another prefix is validated
``--to-end`` by one ``sigma validate`` and by two started together in a fresh group, alternately,
``THROUGHPUT_ROUNDS`` times each (best and median of each): the chain topics' records over the wall time from
the start until every process has ended (the processes' start included on both sides), and how many times the
group gave each process its partitions (a rebalance costs a member the work since its last commit, and makes
it restore). One instance is the baseline; the ratio is the scale-out.

``python -m bench.bench_scaleout [--quick] [--session-timeout S]``; uses SIGMA_BOOTSTRAP_SERVERS or starts a
broker. Every topic it creates is deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kafka import TopicPartition
from kafka.errors import KafkaError

from bench.bench_validator import _produce
from bench.cluster import bench_cluster
from bench.streams import chain_records
from consumers.bounded import chain_partitions
from consumers.records import ConsumedRecord
from runtime import clients, logs
from runtime.settings import Settings, load_settings
from runtime.topics import apply_topics, delete_topics, existing_topics
from schemas.topics import ALL_TOPICS
from validator.online import group_timing

STREAM_CASES = 6_000
RATE = 500
"""Records/s of the live stream: light for two validators on this machine, and every chain partition gets
records while the group is watched."""
BACKLOG_CASES = 50_000
"""About 490,000 records, 35-75 s of work for one instance here: long enough that joining the group (the second
member's join makes the group rebalance, which each learns of at a heartbeat) is not most of the run."""
KILL_ROUNDS = 3
THROUGHPUT_ROUNDS = 3
POLL = 0.1
TARGET_S = 15.0
WATCH_S = 240.0
"""How long a round may take after the kill before it is given up (a session timeout of 45 s fits five times)."""

STEPS = ("reassigned", "restored", "committed", "caught_up")

Owners = dict[str, frozenset[TopicPartition]]
"""Member id -> the partitions the group gave it."""


@dataclass(frozen=True)
class Sample:
    """One look at the group: seconds since the stop, its members' partitions (None unless the group is
    stable) and its committed offsets."""

    at: float
    owners: Owners | None
    committed: dict[TopicPartition, int]


@dataclass(frozen=True)
class Restore:
    """A member's log line saying the group gave it partitions, once it restored their cases."""

    at: float
    """Unix time."""
    partitions: frozenset[int]
    """The partition numbers (of every chain topic)."""
    source: str
    """Where the cases came from: ``snapshot`` (its local cache) or ``changelog``."""
    cases: int


@dataclass(frozen=True)
class Failover:
    """Seconds from the stop until each step (None: not within the watch), and the dead member's partitions."""

    reassigned: float | None
    restored: float | None
    committed: float | None
    caught_up: float | None
    dead: frozenset[TopicPartition]
    restore: Restore | None
    """The survivor's restore of the dead member's partitions."""


def failover(before: Sample, end: Mapping[TopicPartition, int], samples: Sequence[Sample], stopped: float,
             restores: Sequence[Restore]) -> Failover:
    """The steps of a failover (see the module docstring) from the look at the group taken just before the stop
    (``before``), the end offsets then, the looks taken since, the Unix time of the stop and the survivor's
    restores.

    The survivor is the member that alone holds every partition in the first stable look where one does (a
    classic-protocol member keeps its id across rebalances); the dead member's partitions are the others."""
    assert before.owners is not None, "the look before the stop is of a stable group"
    everything = frozenset().union(*before.owners.values())
    alone = next((s for s in samples if s.owners is not None and len(s.owners) == 1
                  and next(iter(s.owners.values())) == everything), None)
    if alone is None or alone.owners is None:
        return Failover(None, None, None, None, frozenset(), None)
    [survivor] = alone.owners
    if survivor not in before.owners:
        raise SystemExit(f"bench_scaleout: the survivor {survivor} was not a member at the stop: it rejoined under a "
                         "new id, so whose partitions were the dead member's is unknown")
    dead = everything - before.owners[survivor]
    numbers = {tp.partition for tp in dead}
    restore = next((r for r in restores if r.at >= stopped and numbers <= r.partitions), None)
    since = [s for s in samples if s.at >= alone.at]
    committed = next((s.at for s in since
                      if any(s.committed.get(tp, -1) > before.committed.get(tp, -1) for tp in dead)), None)
    caught_up = next((s.at for s in since if all(s.committed.get(tp, -1) >= end[tp] for tp in dead)), None)
    return Failover(alone.at, None if restore is None else restore.at - stopped, committed, caught_up, dead, restore)


def restore_logs(lines: Iterable[str]) -> list[Restore]:
    """The ``partitions assigned`` lines of a validator's JSON log (``validator.online``), in order; other lines
    (and any that is not JSON, such as a line cut short by a kill) are skipped."""
    found = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("event") == "partitions assigned":
            at = datetime.fromisoformat(entry["timestamp"]).timestamp()
            found.append(Restore(at, frozenset(entry["partitions"]), entry["restored_from"], entry["cases"]))
    return found


def owners(description: Mapping[str, Any]) -> Owners | None:
    """Each member's partitions, from an admin client's ``describe_groups`` entry of a group; None unless the
    group is stable (during a rebalance the assignments are those of the generation ending)."""
    if description.get("error") or description.get("group_state") != "Stable":
        return None
    return {member["member_id"]: frozenset(TopicPartition(t["topic"], p)
                                           for t in (member["member_assignment"] or {}).get("assigned_partitions", [])
                                           for p in t["partitions"])
            for member in description.get("members", [])}


class Group:
    """An outside view of a consumer group: its members' partitions, its committed offsets, the end offsets."""

    def __init__(self, settings: Settings, group: str) -> None:
        self.group = group
        self.admin = clients.admin(settings)
        self.consumer = clients.consumer(settings, isolation_level="read_uncommitted")
        self.partitions = chain_partitions(self.consumer, settings.topic_prefix)

    def look(self, since: float) -> Sample:
        """The group now (times counted from ``since``, a ``time.monotonic``)."""
        try:
            described = self.admin.describe_groups([self.group])[self.group]
            found = self.admin.list_group_offsets({self.group: None}).get(self.group) or {}
        except KafkaError as exc:  # no coordinator yet for a group just started
            if not exc.retriable:
                raise
            return Sample(time.monotonic() - since, None, {})
        committed = {tp: at.offset for tp, at in found.items() if at.offset >= 0}
        return Sample(time.monotonic() - since, owners(described), committed)

    def end(self) -> dict[TopicPartition, int]:
        ends: dict[TopicPartition, int] = self.consumer.end_offsets(self.partitions)
        return ends

    def close(self) -> None:
        self.consumer.close()
        self.admin.close()


class Stream(threading.Thread):
    """Sends ``records`` under ``prefix`` at ``rate`` records/s until they are sent or ``stop`` is called."""

    def __init__(self, settings: Settings, records: list[ConsumedRecord], rate: int) -> None:
        super().__init__(daemon=True)
        self.settings, self.records, self.rate = settings, records, rate
        self.stopping = threading.Event()
        self.sent = 0

    def run(self) -> None:
        producer = clients.producer(self.settings, linger_ms=5)
        prefix = self.settings.topic_prefix
        started = time.perf_counter()
        try:
            for i, r in enumerate(self.records):
                if self.stopping.wait(max(0.0, started + i / self.rate - time.perf_counter())):
                    return
                producer.send(prefix + r.topic, key=r.key, value=r.value, headers=r.headers)
                self.sent += 1
        finally:
            producer.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join()


@contextmanager
def sandbox(bootstrap: str, name: str) -> Iterator[Settings]:
    """Settings of a fresh topic prefix with the chain's topics; every topic under it is deleted afterwards
    (the groups' changelogs included), so the shared broker keeps nothing of the bench."""
    prefix = f"bench-{name}-{uuid.uuid4().hex[:6]}."
    settings = load_settings(bootstrap_servers=bootstrap, topic_prefix=prefix)
    apply_topics(settings, [t.prefixed(prefix) for t in ALL_TOPICS])
    try:
        yield settings
    finally:
        delete_topics(settings, [t for t in existing_topics(settings) if t.startswith(prefix)])


def member(settings: Settings, group: str, folder: Path, *extra: str,
           session: float | None = None) -> subprocess.Popen[bytes]:
    """A ``sigma validate --group`` process with its own state folder; its JSON logs go to ``<folder>.log``
    (debug: the restores, and kafka-python's group events).
    With ``session``, its group session timeout is that many seconds instead of the validator's default."""
    env = {**os.environ, "SIGMA_BOOTSTRAP_SERVERS": settings.bootstrap, "SIGMA_TOPIC_PREFIX": settings.topic_prefix,
           **({"SIGMA_GROUP_SESSION_TIMEOUT": str(session)} if session else {})}
    with open(folder.with_suffix(".log"), "wb") as log:
        return subprocess.Popen([sys.executable, "-m", "sigma.main", "--log-level", "debug", "--log-format", "json",
                                 "validate", "--group", group, "--state-dir", str(folder), "-q", *extra],
                                env=env, stdout=subprocess.DEVNULL, stderr=log)


def _log(folder: Path) -> list[str]:
    """The lines the member of ``folder`` logged."""
    return folder.with_suffix(".log").read_text(errors="replace").splitlines()


def _tail(folder: Path) -> str:
    return "\n".join(_log(folder)[-10:])[-2000:]


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def _both_working(group: Group, procs: list[subprocess.Popen[bytes]], folders: list[Path]) -> Sample:
    """Until the group is stable with two members that have each committed records of their own partitions
    since it became so; returns that look."""
    deadline = time.monotonic() + WATCH_S
    start: Sample | None = None
    while time.monotonic() < deadline:
        for proc, folder in zip(procs, folders, strict=True):
            if proc.poll() is not None:
                raise SystemExit(f"bench_scaleout: a member ended (exit {proc.returncode}): {_tail(folder)}")
        s = group.look(0.0)
        if s.owners is None or len(s.owners) != 2 or not all(s.owners.values()):
            start = None
        elif start is None or start.owners != s.owners:
            start = s
        elif all(sum(s.committed.get(tp, -1) for tp in mine) > sum(start.committed.get(tp, -1) for tp in mine)
                 for mine in s.owners.values()):
            return s
        time.sleep(POLL)
    raise SystemExit(f"bench_scaleout: two members did not both commit within {WATCH_S:.0f} s")


def failover_round(bootstrap: str, records: list[ConsumedRecord], tmp: Path, victim: int,
                   how: signal.Signals, session: float | None) -> tuple[Failover, str]:
    """One round (see the module docstring): stop member ``victim`` of two with ``how``; the steps it took and
    the machine's load then."""
    with sandbox(bootstrap, "failover") as settings:
        group_name = f"bench-failover-{uuid.uuid4().hex[:6]}"
        stream = Stream(settings, records, RATE)
        stream.start()
        folders = [tmp / f"{group_name}-{i}" for i in range(2)]
        procs = [member(settings, group_name, folder, session=session) for folder in folders]
        group = Group(settings, group_name)
        try:
            before = _both_working(group, procs, folders)
            end = group.end()
            stopped, stopped_at = time.monotonic(), time.time()
            procs[victim].send_signal(how)  # not waited for: a stopped member may take a moment to close
            samples: list[Sample] = []
            while time.monotonic() - stopped < WATCH_S:
                survivor = procs[1 - victim]
                if survivor.poll() is not None:
                    raise SystemExit(f"bench_scaleout: the survivor ended (exit {survivor.returncode}): "
                                     f"{_tail(folders[1 - victim])}")
                samples.append(group.look(stopped))
                if failover(before, end, samples, stopped_at, []).caught_up is not None:
                    break
                time.sleep(POLL)
            load = _load()
            if stream.sent >= len(records):
                print("  (the stream ran out before the round ended: lengthen STREAM_CASES)", flush=True)
            return failover(before, end, samples, stopped_at, restore_logs(_log(folders[1 - victim]))), load
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=60)
            stream.stop()
            group.close()


def throughput_run(settings: Settings, tmp: Path, instances: int) -> tuple[float, list[int]]:
    """Seconds ``instances`` processes of a fresh group take to validate the backlog ``--to-end``, from their
    start until the last has ended, and how many times the group gave each its partitions (one, unless the
    group rebalanced while it ran)."""
    group = f"bench-scale-{instances}-{uuid.uuid4().hex[:6]}"
    folders = [tmp / f"{group}-{i}" for i in range(instances)]
    started = time.perf_counter()
    procs = [member(settings, group, folder, "--to-end") for folder in folders]
    for proc, folder in zip(procs, folders, strict=True):
        if proc.wait(timeout=1800) != 0:
            raise SystemExit(f"bench_scaleout: validate --to-end failed (exit {proc.returncode}): {_tail(folder)}")
    seconds = time.perf_counter() - started
    return seconds, [len(restore_logs(_log(folder))) for folder in folders]


def throughput(bootstrap: str, tmp: Path, cases: int, rounds: int) -> None:
    """One instance against two on one backlog, alternately, ``rounds`` times each; prints the best of each."""
    backlog = chain_records(cases)
    with sandbox(bootstrap, "scale") as settings:
        _produce(settings, settings.topic_prefix, backlog)
        rates: dict[int, list[float]] = {1: [], 2: []}
        print(f"throughput: {len(backlog):,} records ({cases:,} cases) validated --to-end", flush=True)
        for _ in range(rounds):
            for instances in (1, 2):
                seconds, assignments = throughput_run(settings, tmp, instances)
                rates[instances].append(len(backlog) / seconds)
                print(f"  {instances} instance{'s' if instances > 1 else ''}: {seconds:6.1f} s, "
                      f"{len(backlog) / seconds:8,.0f} records/s, assignments per instance "
                      f"{'+'.join(map(str, assignments))} ({_load()})", flush=True)
    print(f"{'throughput (records/s)':34} {'best':>8} {'x one':>6} {'median':>8} {'x one':>6}")
    one = (max(rates[1]), statistics.median(rates[1]))
    for label, found in (("one instance", rates[1]), ("two instances, one group", rates[2])):
        best, median = max(found), statistics.median(found)
        print(f"{label:34} {best:8,.0f} {best / one[0]:6.2f} {median:8,.0f} {median / one[1]:6.2f}")
    print(flush=True)


def failovers(bootstrap: str, tmp: Path, kills: int, session: float | None) -> None:
    """``kills`` SIGKILL rounds and, with the validator's session timeout, one SIGTERM round; prints each step's
    best and median and whether the target is met."""
    stream = chain_records(STREAM_CASES, seed=18)
    timeout = session or Settings().group_session_timeout
    heartbeat = group_timing(timeout)["heartbeat_interval_ms"] / 1000
    print(f"failover: a live stream at {RATE} records/s validated by two members of one group; session timeout "
          f"{timeout:g} s ({'--session-timeout' if session else 'the validator default'}), heartbeats "
          f"every {heartbeat:g} s", flush=True)
    hows = [signal.SIGKILL] * kills + ([] if session else [signal.SIGTERM])
    rounds: list[tuple[str, Failover]] = []
    for i, how in enumerate(hows):
        result, load = failover_round(bootstrap, stream, tmp, i % 2, how, session)
        rounds.append((how.name, result))
        print(f"  {how.name}: " + ", ".join(f"{step.replace('_', ' ')} {_seconds(getattr(result, step))} s"
                                             for step in STEPS)
              + f" after the stop ({len(result.dead)} partitions moved; {load})", flush=True)
    print(f"{'seconds after the stop':34} " + " ".join(f"{step.replace('_', ' '):>10}" for step in STEPS))
    for name in dict.fromkeys(how.name for how in hows):
        found = [r for how, r in rounds if how == name]
        for label, pick in (("best", min), ("median", statistics.median))[:1 if len(found) < 2 else 2]:
            row = [_pick([getattr(r, step) for r in found], pick) for step in STEPS]
            print(f"{f'{name} ({label} of {len(found)})':34} " + " ".join(f"{_seconds(v):>10}" for v in row))
    for name, r in rounds:
        if r.reassigned is not None and r.restored is not None and r.committed is not None and r.restore:
            print(f"{name}: {r.reassigned:.1f} s until the group reassigned the partitions, "
                  f"{r.restored - r.reassigned:.1f} s more until the survivor had restored their "
                  f"{r.restore.cases:,} cases (from its {r.restore.source}), {r.committed - r.restored:.1f} s more "
                  "until it committed records of them")
    killed = [r.committed for how, r in rounds if how == "SIGKILL"]
    worst = max((k for k in killed if k is not None), default=None)
    met = worst is not None and None not in killed and worst < TARGET_S
    print(f"target: a killed member's partitions processed (committed) again within {TARGET_S:.0f} s: "
          f"{'met' if met else 'missed'} (slowest of {len(killed)}: {_seconds(worst)} s)")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _pick(values: list[float | None], pick: Any) -> float | None:
    """``pick`` (min, median) of ``values``; None when one of them is missing (a round that did not get there)."""
    if not values or any(v is None for v in values):
        return None
    return float(pick(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="a 2,000-case backlog run once each way, and one SIGKILL round")
    parser.add_argument("--session-timeout", type=float, metavar="S",
                        help="another group session timeout for the members (SIGMA_GROUP_SESSION_TIMEOUT; 45 is "
                             "Kafka's default) and only the SIGKILL rounds")
    args = parser.parse_args()
    logs.configure("warning")
    with bench_cluster() as bootstrap, tempfile.TemporaryDirectory(prefix="sigma-scaleout-") as tmpdir:
        tmp = Path(tmpdir)
        if args.session_timeout is None:
            throughput(bootstrap, tmp, 2_000 if args.quick else BACKLOG_CASES, 1 if args.quick else THROUGHPUT_ROUNDS)
        failovers(bootstrap, tmp, 1 if args.quick else KILL_ROUNDS, args.session_timeout)


if __name__ == "__main__":
    main()
