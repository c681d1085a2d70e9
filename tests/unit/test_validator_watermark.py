"""The watermark rule: the slowest partition that may still deliver decides, a quiet caught-up one does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from validator.watermark import Idleness, advance

T0 = datetime(2026, 1, 1, tzinfo=UTC)
A, B, C = ("chain.dtv.case", 0), ("chain.dtv.case", 1), ("chain.dtv.flight", 0)


def test_the_slowest_holding_partition_is_the_watermark_not_the_fastest() -> None:
    progress = {A: T0 + timedelta(hours=30), B: T0 + timedelta(hours=2), C: T0 + timedelta(hours=5)}
    assert advance(progress, {A, B, C}, None) == T0 + timedelta(hours=2)
    assert advance(progress, {A, C}, None) == T0 + timedelta(hours=5)


def test_a_holding_partition_without_records_holds_the_watermark_where_it_is() -> None:
    progress = {A: T0 + timedelta(hours=30)}
    assert advance(progress, {A, B}, None) is None
    assert advance(progress, {A, B}, T0) == T0


def test_with_nothing_holding_back_the_watermark_is_everything_read() -> None:
    progress = {A: T0 + timedelta(hours=30), B: T0}
    assert advance(progress, set(), None) == T0 + timedelta(hours=30)
    assert advance({}, set(), T0) == T0


def test_the_watermark_never_goes_back() -> None:
    progress = {A: T0, B: T0 + timedelta(hours=3)}
    assert advance(progress, {A, B}, T0 + timedelta(hours=1)) == T0 + timedelta(hours=1)


def test_a_caught_up_partition_holds_back_until_it_has_been_quiet_for_the_idle_timeout() -> None:
    idle = Idleness(idle_timeout=2.0, started=100.0)
    everything = [A, B, C]
    assert idle.holding(everything, caught_up={B, C}, now=101.0) == {A, B, C}  # nobody idle yet
    assert idle.holding(everything, caught_up={B, C}, now=102.0) == {A}  # quiet since the start
    idle.delivered([B], now=103.0)
    assert idle.holding(everything, caught_up={B, C}, now=104.0) == {A, B}
    assert idle.holding(everything, caught_up={B, C}, now=105.0) == {A}
    assert idle.holding(everything, caught_up=set(), now=500.0) == {A, B, C}  # behind: never idle


def test_a_partition_whose_leader_was_away_holds_back_until_quiet_for_the_idle_timeout_after_it_is_back() -> None:
    idle = Idleness(idle_timeout=2.0, started=100.0)
    assert idle.holding([A], caught_up={A}, now=110.0) == set()  # quiet for long: idle
    idle.unreadable([A], now=110.0)  # its leader is gone: whatever its producers send waits in their buffers
    idle.unreadable([A], now=119.0)  # still away 9 s later (a node killed, a new leader not yet elected)
    assert idle.holding([A], caught_up={A}, now=120.0) == {A}  # back, and caught up: not idle yet
    assert idle.holding([A], caught_up={A}, now=120.9) == {A}
    assert idle.holding([A], caught_up={A}, now=121.0) == set()
