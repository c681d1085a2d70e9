"""Snapshots written in the background, and the heap kept away from the cyclic collector."""

from __future__ import annotations

import gc
import pickle
import weakref
from datetime import UTC, datetime
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from runtime.errors import SigmaError
from validator import state as snapshots
from validator.dossier import Dossier, Fact
from validator.engine import EngineState
from validator.heap import LongLivedHeap

TOPICS = {"p.chain.case": 1}


def _snapshot(state: EngineState) -> snapshots.Snapshot:
    return snapshots.Snapshot("g", "p.", dict(TOPICS), {("p.chain.case", 0): 42}, state, {"ck_1": ()})


def _load(path: Path, group: str = "g", prefix: str = "p.",
          topics: dict[str, int] | None = None) -> snapshots.Snapshot | None:
    return snapshots.load(path, group=group, prefix=prefix, topics=TOPICS if topics is None else topics)


def test_background_snapshot_holds_the_state_as_it_was_when_started(tmp_path: Path) -> None:
    state = EngineState()
    state.dossiers["ck_1"] = Dossier("ck_1")
    state.counters.consumed = 1
    path = tmp_path / "v.snapshot"
    saving = snapshots.Saving(path, _snapshot(state))
    state.counters.consumed = 99  # the parent goes on; the snapshot must not see this
    state.dossiers["ck_2"] = Dossier("ck_2")
    assert saving.done(wait=True)
    loaded = _load(path)
    assert loaded is not None
    assert loaded.state.counters.consumed == 1 and list(loaded.state.dossiers) == ["ck_1"]
    assert loaded.offsets == saving.offsets == {("p.chain.case", 0): 42}
    assert [p.name for p in tmp_path.iterdir()] == ["v.snapshot"]  # no temp file left behind


class _FactOfFormat1:
    """Pickles as a fact of snapshot format 1 did (a ``fields`` dict, no names and values)."""

    def __reduce__(self) -> tuple[object, ...]:
        state = {"recorded_at": datetime(2026, 1, 1, tzinfo=UTC), "partner": "coa", "fields": {"bag_count": 1},
                 "seq": 0}
        return object.__new__, (Fact,), (None, state)


def test_a_snapshot_of_an_older_format_is_ignored_with_a_warning(tmp_path: Path) -> None:
    state = EngineState()
    state.dossiers["ck_1"] = Dossier("ck_1", {"belongings": [_FactOfFormat1()]})  # type: ignore[list-item]
    path = tmp_path / "v.snapshot"
    path.write_bytes(pickle.dumps(_snapshot(state)))
    with capture_logs() as logs:
        assert _load(path) is None
    assert [e["event"] for e in logs] == [
        "snapshot not readable by this sigma (another format version?); rebuilding state"]
    snap = _snapshot(EngineState())
    snap.version = snapshots.FORMAT_VERSION - 1
    path.write_bytes(pickle.dumps(snap))
    with capture_logs() as logs:
        assert _load(path) is None
    assert logs[0]["version"] == snapshots.FORMAT_VERSION - 1


def test_snapshot_files_of_different_groups_and_prefixes_never_share_a_name(tmp_path: Path) -> None:
    pairs = [("b", "a."), ("", "a.b"), ("a.b", ""), ("g/1", "p."), ("g_1", "p."), ("g", "p.")]
    names = {snapshots.snapshot_path(tmp_path, group, prefix) for group, prefix in pairs}
    assert len(names) == len(pairs)
    assert snapshots.snapshot_path(tmp_path, "g", "p.") == snapshots.snapshot_path(tmp_path, "g", "p.")


def test_a_snapshot_of_another_group_or_prefix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v.snapshot"
    snapshots.save(path, _snapshot(EngineState()))
    for group, prefix in (("other", "p."), ("g", "q.")):
        with pytest.raises(SigmaError, match=r"belongs to group 'g' with topic prefix 'p\.'") as caught:
            _load(path, group, prefix)
        assert caught.value.fix is not None and "--state-dir" in caught.value.fix


def test_a_snapshot_of_other_topics_is_ignored_and_added_partitions_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "v.snapshot"
    snapshots.save(path, _snapshot(EngineState()))
    for topics in ({"p.chain.other": 1}, {"p.chain.case": 1, "p.chain.new": 3}, {}):
        with capture_logs() as logs:
            assert _load(path, topics=topics) is None
        assert logs[0]["event"] == "snapshot covers other topics than this validator reads; rebuilding state"
    grown = _load(path, topics={"p.chain.case": 4})
    assert grown is not None and grown.offsets == {("p.chain.case", 0): 42}


def test_a_failed_background_snapshot_raises_with_its_reason(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    saving = snapshots.Saving(blocker / "v.snapshot", _snapshot(EngineState()))
    with pytest.raises(SigmaError, match=r"writing the validator snapshot failed: .*Error") as caught:
        saving.done(wait=True)
    assert caught.value.fix is not None and "not-a-dir" in caught.value.fix


def test_settle_collects_young_cycles_before_freezing_survivors() -> None:
    class Node:
        other: object = None

    heap = LongLivedHeap()
    try:
        garbage_a, garbage_b = Node(), Node()
        garbage_a.other, garbage_b.other = garbage_b, garbage_a
        dead = weakref.ref(garbage_a)
        del garbage_a, garbage_b
        kept = [Node() for _ in range(10)]
        heap.settle()
        assert dead() is None, "a garbage cycle was frozen instead of collected"
        assert gc.get_freeze_count() >= len(kept)
    finally:
        heap.release()
    assert gc.get_freeze_count() == 0


def test_settle_runs_a_full_collection_when_due() -> None:
    class Node:
        other: object = None

    heap = LongLivedHeap(full_every=0.0)
    try:
        heap.settle()
        a, b = Node(), Node()  # frozen while alive, a cycle that becomes garbage afterwards
        a.other, b.other = b, a
        heap.settle()
        dead = weakref.ref(a)
        del a, b
        heap.settle()
        assert dead() is None, "a cycle among frozen objects was never collected"
    finally:
        heap.release()


def test_settle_only_collects_at_settle_and_gives_the_collector_back_on_release() -> None:
    """Offline validation's heap: no automatic collection between settles, garbage cycles of the batch
    collected at the settle, and automatic collection back on afterwards (as it was before)."""
    class Node:
        other: object = None

    assert gc.isenabled()
    heap = LongLivedHeap(settle_only=True)
    try:
        assert not gc.isenabled()
        a, b = Node(), Node()
        a.other, b.other = b, a
        dead = weakref.ref(a)
        del a, b
        kept = [Node() for _ in range(20_000)]  # many times the young generation's threshold: no collection
        assert dead() is not None and len(kept) == 20_000
        heap.settle()
        assert dead() is None, "a garbage cycle of the batch outlived the settle"
    finally:
        heap.release()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        LongLivedHeap(settle_only=True).release()
        assert not gc.isenabled(), "release turned on a collector that was off before"
    finally:
        gc.enable()
