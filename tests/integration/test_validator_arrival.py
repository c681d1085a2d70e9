"""The wall event clock on the real broker (issue 17): the chain topics sigma creates stamp every record with
the broker's append time, and a partner that back-dates an event it sends after the case's decision time is
counted as a late delivery by ``--event-clock wall``, online to the end and offline from a recording alike;
the default stream clock cannot tell (the gap). A wall clock over topics the broker does not stamp is refused."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from runtime import clients
from runtime.settings import Settings
from runtime.topics import apply_topics, timestamp_types
from schemas.codec import AvroSerializer
from schemas.envelope import to_record
from schemas.events import ChainEvent
from schemas.topics import ALL_TOPICS, CHAIN_TOPICS, OUTPUT_TOPICS, TopicSpec
from tests.backdating import backdated, on_time
from tests.clirunner import sigma
from tests.conftest import KafkaCluster
from tests.published import check_report

pytestmark = pytest.mark.kafka

Sandbox = tuple[str, dict[str, str]]
"""A topic prefix and the environment that points sigma at it."""
LATENESS = "0.001"
"""Hours: 3.6 s, so the scenario runs in real time in seconds."""


def _send(settings: Settings, prefix: str, events: list[ChainEvent]) -> None:
    """Produce ``events`` as a partner does (Avro, the envelope's headers, murmur2 placement), acknowledged."""
    producer = clients.producer(settings)
    try:
        for event in events:
            record = to_record(event, AvroSerializer(), prefix=prefix)
            producer.send(record.topic, key=record.key, value=record.value, headers=record.headers)
        producer.flush()
    finally:
        producer.close()


def _validate(env: dict[str, str], tmp: Path, *extra: str) -> dict[str, Any]:
    out = tmp / f"report-{time.monotonic_ns()}.json"
    result = sigma("validate", "--report-json", str(out), "-q", "--allowed-lateness", LATENESS, *extra, env=env)
    assert result.returncode == 0, result.stderr
    return check_report(json.loads(out.read_text()))


@pytest.fixture(scope="module")
def backdated_chain(kafka_cluster: KafkaCluster) -> Sandbox:
    """The scenario in real time, in a sandbox whose chain topics sigma created: handover and booking sent
    before the checkpoint (5 s from now); once the decision time has passed, COA's belongings event claiming
    to be recorded a second before the checkpoint, and an IND event recorded now."""
    prefix = f"test-arrival-{time.monotonic_ns()}."
    env = {**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}
    created = sigma("topics", "apply", env=env)
    assert created.returncode == 0, created.stderr
    settings = kafka_cluster.settings()
    now = datetime.now(UTC)
    checkpoint = now + timedelta(seconds=5)
    handover, booking, moves_on = on_time(checkpoint)
    _send(settings, prefix, [handover.model_copy(update={"recorded_at": now, "occurred_at": now}),
                             booking.model_copy(update={"recorded_at": now, "occurred_at": now})])
    decided = checkpoint + timedelta(hours=float(LATENESS))
    time.sleep(max(0.0, (decided - datetime.now(UTC)).total_seconds()) + 1)  # the case's decision time passes
    later = datetime.now(UTC)
    _send(settings, prefix, [backdated(checkpoint - timedelta(seconds=1)),
                             moves_on.model_copy(update={"recorded_at": later, "occurred_at": later})])
    return prefix, env


def test_the_chain_topics_sigma_creates_stamp_the_brokers_append_time(
        kafka_cluster: KafkaCluster, backdated_chain: Sandbox) -> None:
    prefix, _ = backdated_chain
    types = timestamp_types(kafka_cluster.settings(), [prefix + t.name for t in ALL_TOPICS])
    assert {name: kind for name, kind in types.items() if kind != "LogAppendTime"} == {
        prefix + t.name: "CreateTime" for t in OUTPUT_TOPICS}  # sigma's own outputs keep their writer's time
    assert len(types) == len(ALL_TOPICS)


def test_the_wall_clock_counts_the_backdated_event_as_coas_late_delivery_and_the_stream_clock_does_not(
        backdated_chain: Sandbox, tmp_path: Path) -> None:
    _, env = backdated_chain
    wall = _validate(env, tmp_path, "--to-end", "--group", "g-wall", "--state-dir", str(tmp_path / "w"),
                     "--event-clock", "wall")
    assert wall["late_deliveries"] == {"coa": 1}
    stream = _validate(env, tmp_path, "--to-end", "--group", "g-stream", "--state-dir", str(tmp_path / "s"))
    assert stream["late_deliveries"] == {}
    for report in (wall, stream):  # completeness itself is judged on recorded_at: the same case, the same verdict
        assert report["cases_checked"] == 1
        assert "belongings" not in {d["category"] for case in report["cases"] for d in case["defects"]}
    by_env = _validate({**env, "SIGMA_EVENT_CLOCK": "wall"}, tmp_path, "--to-end", "--group", "g-env",
                       "--state-dir", str(tmp_path / "e"))
    assert by_env["late_deliveries"] == {"coa": 1}


def test_offline_from_a_recording_the_wall_clock_counts_the_same(
        backdated_chain: Sandbox, tmp_path: Path) -> None:
    """A recording keeps each record's timestamp and its type: the append times judge the same offline."""
    _, env = backdated_chain
    recording = tmp_path / "chain.jsonl"
    recorded = sigma("record", "--out", str(recording), "--to-end", env=env)
    assert recorded.returncode == 0, recorded.stderr
    assert _validate(env, tmp_path, "--from-file", str(recording), "--event-clock", "wall")["late_deliveries"] \
        == {"coa": 1}
    assert _validate(env, tmp_path, "--from-file", str(recording))["late_deliveries"] == {}


def test_the_wall_clock_refuses_chain_topics_the_broker_does_not_stamp_and_apply_leaves_them_so(
        kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    """Topics created before (CreateTime) are not changed behind the operator's back: `sigma topics apply`
    names the difference, and the wall clock refuses them with the fix, before reading anything."""
    prefix = f"test-created-{time.monotonic_ns()}."
    apply_topics(kafka_cluster.settings(), [TopicSpec(prefix + t.name, t.partitions, t.description,
                                                      {**t.config, "message.timestamp.type": "CreateTime"})
                                            for t in CHAIN_TOPICS] + [t.prefixed(prefix) for t in OUTPUT_TOPICS])
    env = {**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}
    applied = sigma("topics", "apply", env=env)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.count("message.timestamp.type is CreateTime, plan says LogAppendTime") == len(CHAIN_TOPICS)
    for how in (("--event-clock", "wall"), ()):
        refused = sigma("validate", "--to-end", "--state-dir", str(tmp_path), *how,
                        env={**env, "SIGMA_EVENT_CLOCK": "wall"} if not how else env)
        assert refused.returncode == 2, refused.stderr
        line = refused.stderr.strip()
        assert line.startswith("sigma: error: --event-clock wall needs the broker's append time, and ") and \
            "\n" not in line, line
        assert "--add-config message.timestamp.type=LogAppendTime" in line and "--event-clock stream" in line
    types = timestamp_types(kafka_cluster.settings(), [prefix + t.name for t in CHAIN_TOPICS])
    assert set(types.values()) == {"CreateTime"}
