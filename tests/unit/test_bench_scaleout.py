"""The failover benchmark's reading of what it watched (``bench.bench_scaleout``): which partitions were the dead
member's, when the survivor held them, restored them, committed them and caught up, from the group's looks and
the survivor's log."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from kafka import TopicPartition

from bench.bench_scaleout import Restore, Sample, failover, owners, restore_logs

A, B = TopicPartition("t.a", 0), TopicPartition("t.a", 1)
STOP = datetime(2026, 12, 1, 6, 0, tzinfo=UTC).timestamp()


def _line(event: str, at: float, **fields: object) -> str:
    stamp = datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"event": event, "timestamp": stamp, "level": "debug", **fields})


def test_restore_logs_reads_the_assignment_lines_and_skips_the_rest() -> None:
    lines = [_line("partitions assigned", STOP + 1.5, group="g", partitions=[0, 1, 2], restored_from="changelog",
                   cases=1091, records=9000),
             _line("something else", STOP + 2), '{"event": "partitions assig', "plain text from a library"]
    assert restore_logs(lines) == [Restore(STOP + 1.5, frozenset({0, 1, 2}), "changelog", 1091)]


def test_owners_of_a_stable_group_and_none_while_it_rebalances() -> None:
    assigned = {"assigned_partitions": [{"topic": "t.a", "partitions": [0, 1]}]}
    member = {"member_id": "m-1", "member_assignment": assigned}
    idle = {"member_id": "m-2", "member_assignment": None}
    assert owners({"group_state": "Stable", "error": None, "members": [member, idle]}) == \
        {"m-1": frozenset({A, B}), "m-2": frozenset()}
    assert owners({"group_state": "PreparingRebalance", "error": None, "members": [member]}) is None
    assert owners({"group_state": "Stable", "error": "CoordinatorNotAvailable", "members": []}) is None


def test_failover_steps_are_timed_on_the_dead_members_partitions_only() -> None:
    before = Sample(0.0, {"dead": frozenset({A}), "survivor": frozenset({B})}, {A: 10, B: 20})
    samples = [
        Sample(1.0, None, {A: 10, B: 25}),  # rebalancing; the survivor's own partition moves on: not a step
        Sample(2.0, {"survivor": frozenset({A, B})}, {A: 10, B: 30}),
        Sample(3.0, {"survivor": frozenset({A, B})}, {A: 12, B: 30}),
        Sample(4.0, {"survivor": frozenset({A, B})}, {A: 15, B: 31}),
    ]
    restores = [Restore(STOP - 30, frozenset({1}), "changelog", 5),  # its own, before the stop
                Restore(STOP + 2.5, frozenset({0, 1}), "changelog", 40)]
    result = failover(before, {A: 15, B: 22}, samples, STOP, restores)
    assert result.dead == frozenset({A})
    assert (result.reassigned, result.restored, result.committed, result.caught_up) == (2.0, 2.5, 3.0, 4.0)
    assert result.restore == restores[1]


def test_a_failover_the_watch_did_not_see_through_has_no_steps() -> None:
    before = Sample(0.0, {"dead": frozenset({A}), "survivor": frozenset({B})}, {A: 10, B: 20})
    still = [Sample(1.0, {"dead": frozenset({A}), "survivor": frozenset({B})}, {A: 10, B: 21})]
    result = failover(before, {A: 15, B: 22}, still, STOP, [])
    assert (result.reassigned, result.restored, result.committed, result.caught_up) == (None, None, None, None)
