"""Catching up evenly (``validator.catchup``): the partition furthest behind in event time goes first, one whose
records are on their way holds the others back, and only processed records count for offsets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from validator.catchup import Backlog

T0 = datetime(2026, 1, 1, tzinfo=UTC)
A, B, C = ("chain.case", 0), ("chain.flight", 0), ("chain.escort", 0)


@dataclass(frozen=True)
class Rec:
    """A record as the backlog sees it: where it is, its offset, and the event time processing it reveals."""

    where: tuple[str, int]
    offset: int
    hours: float


def records(where: tuple[str, int], *hours: float, first: int = 0) -> list[Rec]:
    return [Rec(where, first + i, h) for i, h in enumerate(hours)]


def drain(backlog: Backlog[Rec], progress: dict[tuple[str, int], datetime], unfinished: set[tuple[str, int]],
          now: float = 0.0, limit: int = 1000) -> list[Rec]:
    """Take records as the validator does: process each (its partition's event time moves) before the next."""
    taken = []
    for rec in backlog.take(progress, unfinished, now, limit):
        at = T0 + timedelta(hours=rec.hours)
        progress[rec.where] = max(progress.get(rec.where, at), at)
        taken.append(rec)
    return taken


def test_the_partition_furthest_behind_in_event_time_goes_first() -> None:
    backlog: Backlog[Rec] = Backlog(bound=100, patience=5.0)
    backlog.add({A: records(A, 1, 2, 3, 10, 11), B: records(B, 4, 5, 12), C: records(C, 6)})
    taken = drain(backlog, {}, set())
    # first one of each (nothing processed yet: behind every other), then always the least advanced partition; a
    # record's event time is known once it is processed, so A, at 3, goes on to 10 before B at 4 goes on to 5
    assert [r.hours for r in taken] == [1, 4, 6, 2, 3, 10, 5, 12, 11]
    assert len(backlog) == 0


def test_a_partition_whose_records_are_on_their_way_holds_the_others_at_its_event_time() -> None:
    backlog: Backlog[Rec] = Backlog(bound=100, patience=5.0)
    progress = {A: T0 + timedelta(hours=5)}
    backlog.add({B: records(B, 3, 4, 6, 7)})
    assert [r.hours for r in drain(backlog, progress, {A, B})] == [3, 4, 6]  # 6: B was at 4, not past A's 5
    backlog.add({A: records(A, 8, first=10)})
    assert [r.hours for r in drain(backlog, progress, {A, B})] == [8, 7]  # A at 5 was behind B at 6


def test_a_partition_that_runs_dry_while_taking_holds_the_others_from_then_on() -> None:
    backlog: Backlog[Rec] = Backlog(bound=100, patience=5.0)
    backlog.add({A: records(A, 1, 2), B: records(B, 1.5, 3, 4)})
    assert [r.hours for r in drain(backlog, {}, {A, B})] == [1, 1.5, 2, 3]  # then A, not at its end, is dry at 2
    assert [r.hours for r in drain(backlog, {}, {B})] == [4]  # A at its end now: nothing more to wait for


def test_a_partition_at_its_end_holds_nothing_back() -> None:
    backlog: Backlog[Rec] = Backlog(bound=100, patience=5.0)
    progress = {A: T0, B: T0 + timedelta(hours=20)}
    backlog.add({B: records(B, 30, 40)})
    assert drain(backlog, progress, {A, B}) == []
    assert [r.hours for r in drain(backlog, progress, {B})] == [30, 40]


def test_a_partition_silent_past_the_patience_stops_holding_the_others() -> None:
    backlog: Backlog[Rec] = Backlog(bound=100, patience=5.0)
    progress = {A: T0, B: T0 + timedelta(hours=20)}
    backlog.add({B: records(B, 30)})
    assert drain(backlog, progress, {A, B}, now=100.0) == []  # dry since 100
    assert drain(backlog, progress, {A, B}, now=104.9) == []
    assert [r.hours for r in drain(backlog, progress, {A, B}, now=105.0)] == [30]
    backlog.add({A: records(A, 1), B: records(B, 31)})  # it spoke again: it holds again when it runs dry
    assert [r.hours for r in drain(backlog, progress, {A, B}, now=106.0)] == [1]


def test_at_most_the_limit_is_taken_and_the_rest_waits_in_order() -> None:
    backlog: Backlog[Rec] = Backlog(bound=100, patience=5.0)
    backlog.add({A: records(A, *range(10))})
    progress: dict[tuple[str, int], datetime] = {}
    assert [r.offset for r in drain(backlog, progress, set(), limit=4)] == [0, 1, 2, 3]
    assert [r.offset for r in drain(backlog, progress, set(), limit=4)] == [4, 5, 6, 7]


def test_offsets_cover_only_what_was_taken_never_what_waits() -> None:
    backlog: Backlog[Rec] = Backlog(bound=100, patience=5.0)
    assert backlog.next_offset(A, fetched=40) == 40  # nothing waits: the consumer's position
    backlog.add({A: records(A, 1, 2, 3, first=40)})
    assert backlog.next_offset(A, fetched=43) == 40
    drain(backlog, {}, set(), limit=2)
    assert backlog.next_offset(A, fetched=43) == 42
    drain(backlog, {}, set())
    assert backlog.next_offset(A, fetched=43) == 43


def test_beyond_the_bound_nothing_holds_back_so_what_waits_shrinks() -> None:
    backlog: Backlog[Rec] = Backlog(bound=3, patience=5.0)
    progress = {A: T0, B: T0 + timedelta(hours=20)}
    backlog.add({B: records(B, 30, 40, 50)})
    assert drain(backlog, progress, {A, B}) == []  # three wait: A, behind, holds B back
    backlog.add({B: records(B, 60, first=3)})
    assert [r.hours for r in drain(backlog, progress, {A, B}, limit=2)] == [30, 40]  # four: beyond the bound
    assert drain(backlog, progress, {A, B}) == []  # two again


def test_a_partition_runs_on_while_within_the_slack_of_the_next() -> None:
    backlog: Backlog[Rec] = Backlog(bound=100, patience=5.0, slack=timedelta(hours=2))
    progress = {A: T0, B: T0 + timedelta(hours=1)}
    backlog.add({A: records(A, 1, 2, 3, 4), B: records(B, 1.5, 2.5)})
    assert [r.hours for r in drain(backlog, progress, set())] == [1, 2, 3, 4, 1.5, 2.5]  # A stops past 1 + 2 h
    backlog.add({A: records(A, 5, 6, first=4)})
    progress[A] = T0 + timedelta(hours=4)
    assert [r.hours for r in drain(backlog, progress, {B})] == []  # never past a partition behind, slack or not


@given(st.lists(st.tuples(st.sampled_from([A, B, C]), st.floats(0, 100), st.integers(1, 5)), max_size=60),
       st.integers(1, 7), st.sampled_from([0, 1, 24]))
def test_whatever_the_event_times_each_partition_is_taken_in_offset_order_and_nothing_is_lost(
        polls: list[tuple[tuple[str, int], float, int]], limit: int, slack: int) -> None:
    """Correctness never depends on the order across partitions: within one, records go out as they came."""
    backlog: Backlog[Rec] = Backlog(bound=6, patience=5.0, slack=timedelta(hours=slack))
    offsets = {A: 0, B: 0, C: 0}
    taken: list[Rec] = []
    progress: dict[tuple[str, int], datetime] = {}
    for where, hours, count in polls:
        backlog.add({where: records(where, *([hours] * count), first=offsets[where])})
        offsets[where] += count
        taken += drain(backlog, progress, {A, B, C}, limit=limit)
    taken += drain(backlog, progress, set(), limit=10_000)
    for where in (A, B, C):
        assert [r.offset for r in taken if r.where == where] == list(range(offsets[where]))
