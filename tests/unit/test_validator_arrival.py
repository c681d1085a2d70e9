"""The wall event clock on the engine alone (issue 17): a partner that back-dates an event it sent after the
case's decision time delivers late, by the broker's append time, which it cannot set. With the stream clock
(the default, for simulations and replays) the same event looks on time: the gap this clock closes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import get_args

import pytest
from structlog.testing import capture_logs

from consumers.recording import RecordingWriter
from consumers.records import ConsumedRecord
from runtime.errors import UsageError
from runtime.settings import EventClock
from schemas.codec import AvroSerializer
from schemas.envelope import to_record
from schemas.events import ChainEvent
from schemas.placement import kafka_partition
from tests.backdating import backdated, on_time
from validator import revision
from validator.arrival import LOG_APPEND_TIME, arrival, require_append_time
from validator.engine import Engine
from validator.offline import validate_recording
from validator.report.model import build_report
from validator.rules import Verdict

CHECKPOINT = datetime(2026, 5, 8, 9, 0, tzinfo=UTC)
BELONGINGS_MISSING = ("BEL-001", "belongings", "coa", "missing")


def _record(event: ChainEvent, appended: datetime, timestamp_type: int = LOG_APPEND_TIME) -> ConsumedRecord:
    """``event`` as the broker delivers it, stamped with its append time ``appended``."""
    out = to_record(event, AvroSerializer())
    return ConsumedRecord(out.topic, kafka_partition(out.key, 6), 0, int(appended.timestamp() * 1000),
                          timestamp_type, out.key, out.value, out.headers)


def _handed_in_time() -> list[ConsumedRecord]:
    """The case's events up to its decision, each appended a second after it was recorded."""
    return [_record(e, e.recorded_at + timedelta(seconds=1)) for e in on_time(CHECKPOINT)]


FORGED = backdated(CHECKPOINT - timedelta(hours=2))
"""Recorded, it says, 2 h before the checkpoint."""
LATE = _record(FORGED, CHECKPOINT + timedelta(hours=3))
"""Appended 3 h after the checkpoint: 2 h past the decision time (allowed lateness 1 h)."""


def _defects(verdict: Verdict | None) -> list[tuple[str, str, str, str]]:
    assert verdict is not None, "the case should be decided"
    return list(revision.signature(verdict.defects))


def _decided_then_backdated(clock: EventClock) -> tuple[Engine, str]:
    """As the live validator sees it: the case decided with its belongings missing, then the forged event;
    returns the engine and the revision's reason."""
    engine = Engine(allowed_lateness_hours=1.0, event_clock=clock)
    engine.feed(_handed_in_time())
    case = FORGED.case_key
    first = engine.verdict(case)
    assert BELONGINGS_MISSING in _defects(first)
    dossier = engine.state.dossiers[case]
    assert first is not None
    before = revision.Decided(0, revision.signature(first.defects), dossier.count, first.checkpoint)
    engine.feed([LATE])
    assert BELONGINGS_MISSING not in _defects(engine.verdict(case))  # completeness is judged on recorded_at
    assert engine.state.watermark is not None
    reason = revision.reason(revision.arrivals(dossier, before.facts, engine.wall), before.checkpoint,
                             engine.state.watermark)
    return engine, reason


def _late(engine: Engine) -> dict[str, int]:
    report = build_report(engine.verdicts(), engine.state.counters, checkpoint_hours=48,
                          late_deliveries=engine.late_deliveries())
    late: dict[str, int] = report["late_deliveries"]
    return late


def test_with_the_wall_clock_a_backdated_event_sent_after_the_decision_is_a_late_delivery_and_says_so() -> None:
    engine, reason = _decided_then_backdated("wall")
    assert _late(engine) == {"coa": 1}
    assert reason == "late arrival from COA (belongings), recorded 2 h before the checkpoint, delivered 3 h after"


def test_with_the_stream_clock_the_same_event_is_not_a_late_delivery_the_gap_the_wall_clock_closes() -> None:
    """COA's partition holds only its own record, so its event time is what COA says: nothing is late."""
    engine, reason = _decided_then_backdated("stream")
    assert _late(engine) == {}
    assert reason.startswith("late arrival from COA (belongings), recorded 2 h before the checkpoint")


def test_read_as_a_backlog_the_wall_clock_counts_the_same_late_delivery() -> None:
    """Append times are in the log, not in the reading: everything read at once counts the same."""
    expected: dict[EventClock, dict[str, int]] = {"wall": {"coa": 1}, "stream": {}}
    for clock, late in expected.items():
        engine = Engine(allowed_lateness_hours=1.0, event_clock=clock)
        engine.feed([LATE, *_handed_in_time()])
        assert _late(engine) == late, clock


def test_an_event_appended_within_the_allowed_lateness_is_on_time_with_either_clock() -> None:
    for clock in get_args(EventClock):
        engine = Engine(allowed_lateness_hours=1.0, event_clock=clock)
        engine.feed([*_handed_in_time(), _record(FORGED, CHECKPOINT - timedelta(hours=1, minutes=30))])
        assert _late(engine) == {}, clock


def test_a_record_the_broker_did_not_stamp_has_no_trusted_arrival_and_is_counted() -> None:
    """CreateTime is the producer's word: the wall clock judges such a record by its partition alone."""
    created = _record(FORGED, CHECKPOINT + timedelta(hours=3), timestamp_type=0)
    assert arrival(created) is None and arrival(LATE) == CHECKPOINT + timedelta(hours=3)
    engine = Engine(allowed_lateness_hours=1.0, event_clock="wall")
    engine.feed([*_handed_in_time(), created])
    assert _late(engine) == {} and engine.unstamped == 1


def test_the_wall_clock_refuses_topics_the_broker_does_not_stamp_naming_the_fix() -> None:
    require_append_time({"chain.case": "LogAppendTime"})
    with pytest.raises(UsageError) as refused:
        require_append_time({"chain.case": "LogAppendTime", "chain.belongings": "CreateTime", "chain.flight": "x"})
    assert str(refused.value).startswith("--event-clock wall needs the broker's append time, and chain.belongings "
                                         "(CreateTime), chain.flight (x) do not stamp records with it: ")
    assert "message.timestamp.type=LogAppendTime" in str(refused.value.fix)
    with pytest.raises(UsageError) as unread:
        require_append_time({"chain.case": "LogAppendTime", "chain.belongings": "CreateTime", "chain.flight": None})
    assert str(unread.value) == ("--event-clock wall needs the broker's append time, and the cluster would not "
                                 "describe the configs of chain.flight: grant the validator DescribeConfigs on the "
                                 "chain topics (`sigma acl apply` does), or validate with --event-clock stream")


def test_offline_the_wall_clock_warns_how_many_records_carry_no_append_time(tmp_path: Path) -> None:
    """A recording made from CreateTime topics: judged by the timestamps it carries, and said so once."""
    path = tmp_path / "created.jsonl"
    with RecordingWriter(path, {"cluster": "test"}) as writer:
        for record in [*_handed_in_time(), LATE]:
            writer.write(record._replace(timestamp_type=0) if record is not LATE else record)
    with capture_logs() as logs:
        engine = validate_recording(path, Engine(allowed_lateness_hours=1.0, event_clock="wall"))
    assert engine.late_deliveries() == {"coa": 1} and engine.unstamped == 3
    assert [(e["log_level"], e["event"]) for e in logs if "append time" in e["event"]] == [
        ("warning", "3 records carry no broker append time (their topics were not LogAppendTime when recorded): "
                    "their delivery is judged by their partition's event time alone")]
