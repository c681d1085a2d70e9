"""`sigma simulate` against the real broker: calibration by its own truth, ownership, determinism, delivery.

The 10,000-case run goes through Kafka once per module; its records are read back, decoded and judged
again, so the truth file is checked against what actually arrived.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from consumers.bounded import chain_partitions, read_from_start
from producers.fidelity import table
from producers.measure import measure
from producers.profile import load_profile
from producers.rules import judge
from runtime import clients
from runtime.settings import Settings
from runtime.topics import apply_topics
from schemas.categories import BASELINE_2018
from schemas.codec import Deserializer, SerializationContext
from schemas.envelope import header, parse_ce_type
from schemas.events import EVENT_TYPES, CaseHandedOver, ChainEvent
from schemas.topics import ALL_TOPICS, TopicSpec
from tests.clirunner import sigma
from tests.conftest import KafkaCluster

pytestmark = pytest.mark.kafka

SUBJECTS = {cls.subject: cls for cls in EVENT_TYPES}


@dataclass(frozen=True)
class Received:
    """One record read back: where it was, what it carried, and the decoded event."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    event: ChainEvent


def sandbox(settings: Settings, prefix: str, overrides: dict[str, dict[str, str]] | None = None) -> str:
    """Chain topics under ``prefix`` (with per-topic config overrides)."""
    specs = [t.prefixed(prefix) for t in ALL_TOPICS]
    specs = [TopicSpec(s.name, s.partitions, s.description, {**s.config, **(overrides or {}).get(t.name, {})})
             for s, t in zip(specs, ALL_TOPICS, strict=True)]
    apply_topics(settings, specs)
    return prefix


def read_back(settings: Settings, prefix: str) -> list[Received]:
    """Every record on the chain topics under ``prefix``, decoded, in (topic, partition, offset) order."""
    consumer = clients.consumer(settings)
    decode = Deserializer()
    try:
        records = [Received(r.topic, r.partition, r.offset, r.timestamp, r.key, r.value, r.headers,
                            decode(r.value, SerializationContext(r.topic, r.headers)))
                   for r in read_from_start(consumer, chain_partitions(consumer, prefix))]
    finally:
        consumer.close()
    return sorted(records, key=lambda r: (r.topic, r.partition, r.offset))


def run_simulate(cluster: KafkaCluster, prefix: str, *args: str) -> Any:
    """``sigma simulate`` on a terminal wide enough for the fidelity table's rows to stay on one line each."""
    return sigma("simulate", *args, env={**cluster.env(), "SIGMA_TOPIC_PREFIX": prefix, "COLUMNS": "400"})


@dataclass(frozen=True)
class Run:
    prefix: str
    truth: list[dict[str, Any]]
    summary: dict[str, Any]
    printed: str
    records: list[Received]
    started_ms: int
    ended_ms: int


@pytest.fixture(scope="module")
def inspectie_10k(kafka_cluster: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Run:
    settings = kafka_cluster.settings()
    prefix = sandbox(settings, f"test-sim10k-{time.time_ns()}.")
    out = tmp_path_factory.mktemp("sim10k")
    started = int(time.time() * 1000)
    result = run_simulate(kafka_cluster, prefix, "--cases", "10000", "--seed", "2018", "--profile", "inspectie-2018",
                          "--truth", str(out / "truth.jsonl"), "--summary-json", str(out / "summary.json"))
    ended = int(time.time() * 1000)
    assert result.returncode == 0, result.stderr
    truth = [json.loads(line) for line in (out / "truth.jsonl").read_text().splitlines()]
    summary = json.loads((out / "summary.json").read_text())
    return Run(prefix, truth, summary, result.stdout, read_back(settings, prefix), started, ended)


def test_a_10000_case_inspectie_run_hits_the_four_targets_by_its_truth(inspectie_10k: Run) -> None:
    truth = inspectie_10k.truth
    assert len(truth) == 10_000 and len({t["case"] for t in truth}) == 10_000
    checked = [t for t in truth if t["checked"]]
    assert len(checked) > 1500

    def missing(category: str) -> float:
        return sum(any(d["category"] == category and d["kind"] == "missing" for d in t["defects"])
                   for t in checked) / len(checked)

    assert missing("belongings") == pytest.approx(BASELINE_2018["belongings"], abs=0.02)
    assert missing("physical_features") == pytest.approx(BASELINE_2018["physical_features"], abs=0.02)
    assert missing("medical") == pytest.approx(BASELINE_2018["medical"], abs=0.02)
    assert sum(bool(t["defects"]) for t in checked) / len(checked) == pytest.approx(BASELINE_2018["defect_rate"],
                                                                                     abs=0.02)


def test_the_fidelity_table_printed_and_written_is_the_one_measured_from_the_topics(inspectie_10k: Run) -> None:
    """Every figure ``sigma simulate`` claims, measured again from the records read back from Kafka: the
    same table as it printed and wrote, and every figure within its tolerance."""
    from_topics = [f.to_json() for f in table(measure(r.event for r in inspectie_10k.records),
                                               load_profile("inspectie-2018"))]
    assert inspectie_10k.summary["fidelity"] == from_topics
    assert [row["figure"] for row in from_topics if not row["holds"]] == []
    printed = [[cell.strip() for cell in line.split("│")[1:-1]] for line in inspectie_10k.printed.splitlines()]
    for row in from_topics:
        shown = row["shown"]
        assert [row["group"], row["figure"], shown["seed"], row["source"], shown["measured"], shown["tolerance"],
                "yes"] in printed, row["figure"]


def test_every_event_sent_arrived_and_the_summary_counts_them(inspectie_10k: Run) -> None:
    summary, records = inspectie_10k.summary, inspectie_10k.records
    assert summary["failed"] == 0 and summary["delivered"] == summary["events"] == len(records)
    assert sum(summary["by_partner"].values()) == len(records)
    arrived = Counter((r.event.partner.value, r.event.subject) for r in records)
    assert {(row["partner"], row["type"]): row["events"] for row in summary["by_partner_type"]} == arrived
    assert summary["by_type"]["case_closed"] == summary["by_type"]["case_handed_over"] == 10_000


def test_each_partner_emits_only_its_own_event_types(inspectie_10k: Run) -> None:
    seen: set[tuple[str, str]] = set()
    for r in inspectie_10k.records:
        event = r.event
        assert event.partner in type(event).producers, (event.partner, event.subject)
        assert r.topic == inspectie_10k.prefix + f"chain.{event.partner.value}.{type(event).family.name}"  # its own
        parsed = parse_ce_type((header(r.headers, "ce_type") or b"").decode())
        assert parsed == (event.partner.value, event.subject, type(event).version)
        assert header(r.headers, "ce_source") == f"/nl/{event.partner.value}/sigma".encode()
        seen.add((event.partner.value, event.subject))
    partners = {p for p, _ in seen}
    assert {"ind", "coa", "dtv", "kmar", "police", "dji", "medical"} == partners
    writers: dict[str, set[str]] = {}
    for r in inspectie_10k.records:
        writers.setdefault(r.topic, set()).add(r.event.partner.value)
    assert all(len(who) == 1 for who in writers.values())  # one producing partner per topic
    assert len(seen) >= len(SUBJECTS)


def test_keys_are_case_keys_and_no_v_number_leaves_the_payload(inspectie_10k: Run) -> None:
    v_numbers = {r.event.v_number for r in inspectie_10k.records if isinstance(r.event, CaseHandedOver)}
    assert len(v_numbers) == 10_000
    exposed: set[bytes] = set()
    for r in inspectie_10k.records:
        assert r.key == r.event.case_key.encode()
        for text in (r.key, *(value for _, value in r.headers)):
            exposed.update(re.findall(rb"(?<![0-9])[0-9]{10}(?![0-9])", text))
    assert not exposed & {v.encode() for v in v_numbers}


def test_the_truth_matches_the_stream_read_back_from_kafka(inspectie_10k: Run) -> None:
    by_case: dict[str, list[Received]] = defaultdict(list)
    for r in inspectie_10k.records:
        by_case[r.event.case_key].append(r)
    assert len(by_case) == 10_000 and {line["case"] for line in inspectie_10k.truth} == set(by_case)
    for line in inspectie_10k.truth:
        # one case is one partition per topic; within a topic the offset is the order, across topics recorded_at
        events = sorted(by_case[line["case"]], key=lambda r: (r.event.recorded_at, r.topic, r.offset))
        assert judge(line["case"], [r.event for r in events]).to_json() == line


def test_record_timestamps_are_the_wall_clock_and_simulated_time_is_in_the_payload(inspectie_10k: Run) -> None:
    run = inspectie_10k
    assert all(run.started_ms <= r.timestamp_ms <= run.ended_ms for r in run.records)
    assert max(r.event.recorded_at.year for r in run.records) <= 2024


def _stream(records: list[Received]) -> list[tuple[str, int, int, bytes | None, bytes | None, list[tuple[str, bytes]]]]:
    """What two runs must share: position, key, value and headers of every record (not the timestamp)."""
    return [(r.topic.split(".", 1)[1], r.partition, r.offset, r.key, r.value, r.headers) for r in records]


def test_two_runs_with_one_seed_give_identical_event_sequences(kafka_cluster: KafkaCluster,
                                                               unique_name: Callable[[str], str]) -> None:
    settings = kafka_cluster.settings()
    streams = []
    for seed in ("42", "42", "43"):
        prefix = sandbox(settings, unique_name("sim-seed") + ".")
        result = run_simulate(kafka_cluster, prefix, "--cases", "300", "--seed", seed, "--profile", "inspectie-2018")
        assert result.returncode == 0, result.stderr
        streams.append(_stream(read_back(settings, prefix)))
    assert streams[0] == streams[1]
    assert len(streams[0]) > 2000
    assert streams[0] != streams[2]


def test_paced_mode_sends_the_same_stream(kafka_cluster: KafkaCluster, unique_name: Callable[[str], str]) -> None:
    settings = kafka_cluster.settings()
    streams = []
    for extra in ((), ("--speed", "1e9")):
        prefix = sandbox(settings, unique_name("sim-speed") + ".")
        result = run_simulate(kafka_cluster, prefix, "--cases", "50", "--seed", "9", *extra)
        assert result.returncode == 0, result.stderr
        streams.append(_stream(read_back(settings, prefix)))
    assert streams[0] == streams[1] and streams[0]


def test_undeliverable_records_fail_the_command_with_count_and_reason(kafka_cluster: KafkaCluster,
                                                                      unique_name: Callable[[str], str],
                                                                      tmp_path: Path) -> None:
    """The flight topic refuses anything but tiny batches: the command must fail, not drop silently."""
    settings = kafka_cluster.settings()
    prefix = sandbox(settings, unique_name("sim-fail") + ".", {"chain.dtv.flight": {"max.message.bytes": "120"}})
    truth = tmp_path / "truth.jsonl"
    result = run_simulate(kafka_cluster, prefix, "--cases", "200", "--truth", str(truth))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sigma: error: ")
    assert " events were not delivered (MessageSizeTooLargeError" in lines[0]
    assert "Traceback" not in result.stderr
    assert not truth.exists() and not list(tmp_path.iterdir())


def test_missing_topics_are_named_with_the_fix(kafka_cluster: KafkaCluster, unique_name: Callable[[str], str]) -> None:
    prefix = unique_name("nothing") + "."
    result = run_simulate(kafka_cluster, prefix, "--cases", "5")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"sigma: error: topic {prefix}chain.ind.case.handover does not exist (topic prefix "
                           f"{prefix!r}, from SIGMA_TOPIC_PREFIX): ")
    assert "sigma topics apply" in line
