"""Snapshots: the engine's state together with the offsets it covers, written atomically.

Why: offsets may be committed only once the state they cover is safe. The validator writes a snapshot
(state + next offsets), fsyncs and renames it into place, and only then commits the same offsets to the
group. Killed at any moment, a restart loads the last snapshot and seeks to its offsets, so nothing is
lost and nothing is counted twice.

Why in a forked child: pickling 50,000 open cases takes seconds, and a validator that stops for seconds
every few seconds misses its latency target. ``fork`` gives the child a copy-on-write image of the state
as it is at that instant, so the parent goes on consuming while the child writes; the parent commits the
offsets only once the child reports success. Each snapshot is self-consistent (state and offsets taken
together), so a child outliving a killed parent cannot make a restart inconsistent, only a little older.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import re
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import structlog
from kafka import TopicPartition

from runtime.errors import SigmaError
from validator.engine import EngineState
from validator.revision import Decided

log = structlog.get_logger(__name__)

FORMAT_VERSION = 7
"""2: facts keep names and values instead of a dict. 3: the snapshot names the partition count of each topic
it covers. 4: the watermark is the slowest partition's event time, not the fastest's. 5: dossiers keep the facts
delivered behind their partition's event time. 6: counts per input partition (``Tally``), and each dossier names
its partition. 7: the snapshot names the commit it covers (``commit``). A snapshot of another version is not
read (the state is rebuilt from the earliest offsets, see ``validator.online``)."""


@dataclass
class Snapshot:
    """What a restart needs: the engine state, the next offset per (topic, partition), published findings,
    and whose it is: the group, the topic prefix and the topics (with their partition counts) it covers."""

    group: str
    prefix: str
    topics: dict[str, int]
    offsets: dict[tuple[str, int], int]
    state: EngineState
    published: dict[str, Decided]
    commit: str = ""
    """The id of the group commit whose state this is (a consumer group validator's: the metadata of the offsets it
    committed, ``validator.online``); two commits may have the same offsets and another state."""
    version: int = FORMAT_VERSION


def snapshot_path(state_dir: Path, group: str, prefix: str) -> Path:
    """One snapshot file per group and topic prefix.

    The readable part may be the same for two pairs (``a.`` + ``b`` and ``a.b`` + nothing, or characters
    replaced by ``_``); the digest of the exact pair keeps their files apart.
    """
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{prefix}{group}")
    digest = hashlib.sha256(f"{prefix}\0{group}".encode()).hexdigest()[:12]
    return state_dir / f"{safe}-{digest}.snapshot"


def partition_counts(partitions: Iterable[TopicPartition]) -> dict[str, int]:
    """Partitions per topic: what a snapshot records of the topics it covers."""
    return dict(Counter(tp.topic for tp in partitions))


def load(path: Path, *, group: str, prefix: str, topics: dict[str, int]) -> Snapshot | None:
    """The last snapshot of this group, prefix and topics, or None when there is none to resume from.

    A snapshot of another format version, or one written by another sigma that does not even unpickle (its
    classes had other fields), is ignored with a warning and the state rebuilt from the earliest offsets;
    so is one covering other topics or fewer partitions (partitions added since are read from their start).
    A snapshot of another group or prefix is an error: it is someone else's state, and merging it would
    mix two streams.
    """
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        try:
            snap = pickle.load(handle)  # our own file, written by save() below
        except Exception as exc:  # whatever an older class layout raises
            log.warning("snapshot not readable by this sigma (another format version?); rebuilding state",
                        snapshot=str(path), error=type(exc).__name__)
            return None
    if not isinstance(snap, Snapshot) or snap.version != FORMAT_VERSION:
        log.warning("snapshot of another format version; rebuilding state", snapshot=str(path),
                    version=getattr(snap, "version", None), expected=FORMAT_VERSION)
        return None
    if (snap.group, snap.prefix) != (group, prefix):
        raise SigmaError(f"snapshot {path} belongs to group {snap.group!r} with topic prefix {snap.prefix!r}, not "
                         f"group {group!r} with prefix {prefix!r}",
                         fix="move it away, or give the --state-dir, --group and SIGMA_TOPIC_PREFIX it was written for")
    if set(snap.topics) != set(topics) or any(topics[t] < n for t, n in snap.topics.items()):
        log.warning("snapshot covers other topics than this validator reads; rebuilding state", snapshot=str(path),
                    snapshot_topics=sorted(snap.topics), topics=sorted(topics))
        return None
    return snap


def save(path: Path, snap: Snapshot) -> None:
    """Write atomically: temp file (named per process, so two writers never share one), fsync, rename.

    The collector is paused while pickling: pickle's memo keeps every object it has seen alive, and
    collecting over them repeatedly doubled the time of a large snapshot.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    enabled = gc.isenabled()
    gc.disable()
    try:
        with tmp.open("wb") as handle:
            pickle.dump(snap, handle, protocol=pickle.HIGHEST_PROTOCOL)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if enabled:
            gc.enable()


def _background() -> None:
    """Run this process only on otherwise idle CPU time (Linux ``SCHED_IDLE``, else a lower priority): the
    consuming parent and the broker come first, so a snapshot does not show up in the findings' latency."""
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    else:
        os.nice(19)


class Saving:
    """A snapshot being written, by a forked child where the platform can fork, else already written."""

    def __init__(self, path: Path, snap: Snapshot) -> None:
        self.path = path
        self.offsets = dict(snap.offsets)
        self._pid: int | None = None
        self._errors: int | None = None
        if not hasattr(os, "fork"):
            save(path, snap)
            return
        read_end, write_end = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns that kafka-python's threads are not in the child; the child only pickles and
            # writes a file, touching no lock those threads could hold.
            warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: write the snapshot, report a failure's reason, never return
            os.close(read_end)
            code = 1
            try:
                _background()
                save(path, snap)
                code = 0
            except BaseException as exc:  # any failure must reach the parent, never unwind in the child
                os.write(write_end, f"{type(exc).__name__}: {exc}".encode()[:500])
            finally:
                os._exit(code)
        os.close(write_end)
        self._pid, self._errors = pid, read_end

    def done(self, wait: bool = False) -> bool:
        """Whether the snapshot is on disk; raises when the child failed. ``wait`` blocks until it ends."""
        if self._pid is None:
            return True
        pid, status = os.waitpid(self._pid, 0 if wait else os.WNOHANG)
        if pid == 0:
            return False
        assert self._errors is not None
        reason = os.read(self._errors, 500).decode(errors="replace")
        os.close(self._errors)
        self._pid = None
        if os.waitstatus_to_exitcode(status) != 0:
            raise SigmaError(f"writing the validator snapshot failed: {reason or 'the writer was killed'}",
                             fix=f"check free space and permissions of {self.path.parent}")
        return True
