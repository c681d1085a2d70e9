"""The latency bench times each finding from the record that moved the watermark past its decision time.

A wrong start would make the reported latency too good or too bad: timing from the case's own last record or
from the first record past the checkpoint anywhere (what the bench did before the per-partition watermark)
starts the clock before the validator could decide.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bench.causes import Cause, Crossings

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_the_last_partition_to_pass_the_decision_time_decides() -> None:
    # partition a passes 10 h at send 1.0, b only at send 1.3: the watermark (their minimum) passes at 1.3
    sent = [("a", at(9), 0.8), ("b", at(8), 0.9), ("a", at(11), 1.0), ("b", at(9), 1.1), ("a", at(12), 1.2),
            ("b", at(10), 1.3), ("a", at(13), 1.4)]
    assert Crossings(sent, idle_timeout=1.0).cause(at(10), arrived=1.35) == Cause(1.3, by_idleness=False)


def test_a_record_sent_after_the_finding_arrived_is_not_its_cause() -> None:
    # b's record past 10 h comes after the finding: b had been silent for the timeout at 1.4 (0.4 + 1 s), which
    # let the watermark pass without it, after a's record at 1.2
    sent = [("b", at(8), 0.4), ("a", at(9), 0.5), ("a", at(10), 1.2), ("b", at(11), 1.8)]
    assert Crossings(sent, idle_timeout=1.0).cause(at(10), arrived=1.5) == Cause(1.2, by_idleness=True)


def test_a_partition_back_from_silence_did_not_hold_the_watermark() -> None:
    # b passes 10 h last (send 2.5), but after 2 s of silence: it was idle, so a's record decided, and b's
    # silence began (0.0 + 1 s) before it: no waiting for the timeout
    sent = [("b", at(5), 0.0), ("a", at(9), 1.0), ("a", at(10), 2.0), ("b", at(11), 2.5)]
    assert Crossings(sent, idle_timeout=1.0).cause(at(10), arrived=2.6) == Cause(2.0, by_idleness=False)


def test_progress_is_the_largest_event_time_read_so_far() -> None:
    # a record recorded earlier than one before it on the same partition does not take its progress back
    sent = [("b", at(8), 0.0), ("a", at(11), 0.1), ("a", at(9), 0.2), ("b", at(10), 0.3)]
    assert Crossings(sent, idle_timeout=1.0).cause(at(10), arrived=0.4) == Cause(0.3, by_idleness=False)


def test_a_partition_first_heard_of_past_the_decision_time_was_silent_before() -> None:
    # b's first record in the stream: b was silent since before it (the bench's backlog), so a decided
    sent = [("a", at(9), 0.0), ("a", at(10), 0.2), ("b", at(11), 0.3)]
    assert Crossings(sent, idle_timeout=1.0).cause(at(10), arrived=0.4) == Cause(0.2, by_idleness=False)


def test_nothing_to_time_from_when_no_record_passed_the_decision_time_before_the_finding() -> None:
    sent = [("a", at(9), 0.0), ("a", at(11), 2.0)]
    assert Crossings(sent, idle_timeout=1.0).cause(at(10), arrived=1.5) is None


def test_with_no_idle_timeout_the_first_record_past_the_decision_time_decides() -> None:
    # --idle-timeout 0: a caught-up partition never holds the watermark, so b's record recorded at 10 h decides
    # as soon as it is read; a's records before it do not hold it back, and nothing waited for a timeout
    sent = [("a", at(9), 0.0), ("b", at(9.5), 0.1), ("b", at(10), 0.2), ("a", at(11), 0.3)]
    assert Crossings(sent, idle_timeout=0.0).cause(at(10), arrived=0.25) == Cause(0.2, by_idleness=False)


def test_when_every_partition_fell_silent_first_the_first_record_past_it_starts_the_clock() -> None:
    # b's record past 10 h comes after b was silent for the timeout (0.5 + 1 s), and a is silent until 2.0: the
    # watermark passes 10 h at 2.0, timed from b's record at 1.6, the first progress past it, and the wait counts
    # as the timeout's
    sent = [("b", at(9), 0.5), ("a", at(9), 1.0), ("b", at(10), 1.6)]
    assert Crossings(sent, idle_timeout=1.0).cause(at(10), arrived=2.1) == Cause(1.6, by_idleness=True)
