"""Snapshots: the engine's state together with the offsets it covers, written atomically.

Why: offsets may be committed only once the state they cover is safe. The validator writes a snapshot
(state + next offsets), fsyncs and renames it into place, and only then commits the same offsets to the
group. Killed at any moment, a restart loads the last snapshot and seeks to its offsets, so nothing is
lost and nothing is counted twice.
"""

from __future__ import annotations

import os
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

from validator.engine import EngineState

FORMAT_VERSION = 1


@dataclass
class Snapshot:
    """What a restart needs: the engine state, the next offset per (topic, partition), published findings."""

    group: str
    prefix: str
    offsets: dict[tuple[str, int], int]
    state: EngineState
    published: dict[str, tuple[tuple[str, str, str, str], ...]]
    version: int = FORMAT_VERSION


def snapshot_path(state_dir: Path, group: str, prefix: str) -> Path:
    """One snapshot file per group and topic prefix."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{prefix}{group}")
    return state_dir / f"{safe}.snapshot"


def load(path: Path) -> Snapshot | None:
    """The last snapshot, or None when there is none (or it is from another format version)."""
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        snap = pickle.load(handle)  # our own file, written by save() below
    return snap if isinstance(snap, Snapshot) and snap.version == FORMAT_VERSION else None


def save(path: Path, snap: Snapshot) -> None:
    """Write atomically: temp file, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as handle:
        pickle.dump(snap, handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
