"""The publisher's parts that need no broker: encoding, partitioning, accounting, pacing, the batch stream."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError
from kafka.partitioner import DefaultPartitioner

from producers.pacing import Pacer
from producers.profile import load_profile
from producers.publisher import DeliveryReport, Encoder, KeyCachingPartitioner, failure_reason
from producers.runner import SimulationRun, generate, producer_tuning
from producers.simulation import Simulation
from runtime.errors import SigmaError
from schemas.casekey import case_key
from schemas.codec import Deserializer, SerializationContext
from schemas.envelope import header

SECRET = b"unit-test-secret"


def run(cases: int = 60, seed: int = 4, profile: str = "inspectie-2018") -> SimulationRun:
    return SimulationRun(cases=cases, seed=seed, profile=load_profile(profile), topic_prefix="sandbox.",
                         case_key_secret=SECRET)


def test_the_encoder_envelopes_and_prefixes_and_decodes_back() -> None:
    simulation = Simulation(cases=5, seed=1, profile=load_profile("ideal"),
                            case_key=lambda v: case_key(v, SECRET))
    encode = Encoder("sandbox.")
    decode = Deserializer()
    events = [event for _, event in simulation.events()]
    assert len(events) > 20 and {e.subject for e in events} >= {"case_handed_over", "case_closed"}
    for event in events:
        record = encode(event)
        assert record.topic == f"sandbox.chain.{event.partner.value}.{type(event).family.name}"  # its own topic
        assert record.key == event.case_key.encode()
        assert (record.partner, record.subject) == (event.partner.value, event.subject)
        assert header(record.headers, "ce_type") == f"nl.{event.partner.value}.{event.subject}.v1".encode()
        assert decode(record.value, SerializationContext(record.topic, record.headers)) == event


def test_the_generated_stream_and_truth_are_the_same_bytes_for_one_seed(tmp_path: Path) -> None:
    first = [(at, tuple(r)) for batch in generate(run(), tmp_path / "a.jsonl") for at, r in batch]
    second = [(at, tuple(r)) for batch in generate(run(), tmp_path / "b.jsonl") for at, r in batch]
    assert first == second and len(first) > 400
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    lines = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert len(lines) == 60 and set(lines[0]) == {"case", "checked", "defects"}
    other = [(at, tuple(r)) for batch in generate(run(seed=5), None) for at, r in batch]
    assert other != first


def test_the_case_key_is_the_keyed_hash_of_the_v_number() -> None:
    handovers = [record for batch in generate(run(cases=3, profile="ideal"), None) for _, record in batch
                 if record.subject == "case_handed_over"]
    assert len(handovers) == 3
    for record in handovers:
        event = Deserializer()(record.value, SerializationContext(record.topic, record.headers))
        assert record.key.decode() == case_key(event.v_number, SECRET)  # type: ignore[attr-defined]


class _Cluster:
    """Just enough cluster metadata for a partitioner."""

    def __init__(self, partitions: int) -> None:
        self.partitions = set(range(partitions))

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self.partitions

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return self.partitions


def test_the_caching_partitioner_agrees_with_kafkas_default() -> None:
    cached, default = KeyCachingPartitioner(), DefaultPartitioner()
    keys = [case_key(f"{i:010d}", SECRET).encode() for i in range(500)]
    for count in (6, 3):
        cluster: Any = _Cluster(count)
        for key in keys * 2:
            assert cached.partition("t", key, key, None, None, cluster) == \
                default.partition("t", key, key, None, None, cluster)


def test_a_delivery_report_fails_with_the_count_and_main_reason() -> None:
    report = DeliveryReport(sent=10)
    report.by_partner_type.update({("dtv", "flight_booking"): 6, ("dtv", "case_closed"): 2, ("ind", "x"): 2})
    assert report.by_partner() == {"dtv": 8, "ind": 2}
    assert report.by_type() == {"flight_booking": 6, "case_closed": 2, "x": 2}
    report.raise_for_failures()
    report.failed = 3
    report.reasons.update({"MessageSizeTooLargeError": 2, "KafkaTimeoutError": 1})
    assert report.delivered == 7
    with pytest.raises(SigmaError, match=r"3 of 10 events were not delivered \(MessageSizeTooLargeError\)"):
        report.raise_for_failures()


def test_failure_reasons_are_short() -> None:
    assert failure_reason(MessageSizeTooLargeError()) == "MessageSizeTooLargeError"
    assert failure_reason(KafkaTimeoutError("Batch expired")) == "KafkaTimeoutError: Batch expired"


def test_pacing_holds_events_to_the_simulated_clock() -> None:
    wall = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        wall[0] += seconds

    pacer = Pacer(60.0, now=lambda: wall[0], sleep=sleep)
    pacer.wait(1_000)
    pacer.wait(1_000 + 600)  # ten simulated minutes later: ten wall seconds at 60x
    wall[0] += 30  # the sender fell behind: no sleeping to catch up
    pacer.wait(1_000 + 1200)
    assert slept == [pytest.approx(10.0)]
    unpaced = Pacer(None, now=lambda: 0.0, sleep=sleep)
    unpaced.wait(0)
    unpaced.wait(10**9)
    assert slept == [pytest.approx(10.0)]
    with pytest.raises(ValueError):
        Pacer(0)


def test_only_unpaced_runs_trade_latency_for_batching() -> None:
    assert producer_tuning(None) == {"linger_ms": 20}
    assert producer_tuning(60.0) == {}
