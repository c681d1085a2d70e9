"""The validator on the real broker: truth equality, baseline rates, ideal profile, kill/restart, bad records."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from consumers.bounded import chain_partitions, existing_partitions, read_from_start
from consumers.recording import RecordingWriter
from runtime import clients
from runtime.settings import Settings
from runtime.topics import apply_topics
from schemas import topics
from schemas.codec import AvroSerializer, JsonSerializer
from schemas.envelope import to_record
from schemas.events import FitToFly, Partner
from schemas.examples import example
from schemas.topics import ALL_TOPICS, CHAIN_TOPICS
from tests.agreement import report_checked, truth_checked
from tests.clirunner import SIGMA, sigma
from tests.conftest import KafkaCluster
from tests.published import check_dead_letter, check_report
from validator.engine import Engine
from validator.online import OnlineOptions, OnlineValidator

pytestmark = pytest.mark.kafka


@dataclass(frozen=True)
class Sim:
    """A simulated stream in its own sandbox prefix, with its ground truth."""

    prefix: str
    env: dict[str, str]
    truth: list[dict[str, Any]]


def simulate(cluster: KafkaCluster, tmp: Path, cases: int, profile: str, seed: int = 2018) -> Sim:
    prefix = f"test-val-{uuid.uuid4().hex[:8]}."
    apply_topics(cluster.settings(), [t.prefixed(prefix) for t in ALL_TOPICS])
    env = {**cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}  # with its credentials when it is secured
    truth_file = tmp / f"truth-{profile}.jsonl"
    result = sigma("simulate", "--cases", str(cases), "--seed", str(seed), "--profile", profile,
                   "--truth", str(truth_file), env=env)
    assert result.returncode == 0, result.stderr
    return Sim(prefix, env, [json.loads(line) for line in truth_file.read_text().splitlines()])


def validate(sim: Sim, tmp: Path, *extra: str, group: str | None = None) -> dict[str, Any]:
    out = tmp / f"report-{uuid.uuid4().hex[:6]}.json"
    result = sigma("validate", "--to-end", "--group", group or f"g-{uuid.uuid4().hex[:8]}", "--report-json",
                   str(out), "--state-dir", str(tmp / "state"), *extra, env=sim.env)
    assert result.returncode == 0, result.stderr
    return check_report(json.loads(out.read_text()))


@pytest.fixture(scope="module")
def inspectie(kafka_cluster: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Sim:
    return simulate(kafka_cluster, tmp_path_factory.mktemp("inspectie"), 10_000, "inspectie-2018")


@pytest.fixture(scope="module")
def inspectie_report(inspectie: Sim, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return validate(inspectie, tmp_path_factory.mktemp("report"))


def test_findings_equal_the_ground_truth_case_for_case(inspectie: Sim, inspectie_report: dict[str, Any]) -> None:
    truth = truth_checked(inspectie.truth)
    assert len(truth) > 1500
    assert report_checked(inspectie_report) == truth


def test_rates_lie_within_two_points_of_the_2018_baseline(inspectie_report: dict[str, Any]) -> None:
    report = inspectie_report
    assert abs(report["defect_rate"] - 0.66) <= 0.02
    for category, target in {"belongings": 0.45, "physical_features": 0.17, "medical": 0.12}.items():
        assert abs(report["categories"][category] - target) <= 0.02, category
    assert report["baseline"]["defect_rate"] == 0.66
    assert report["baseline"]["categories"] == {"belongings": 0.45, "physical_features": 0.17, "medical": 0.12}
    rec = report["records"]
    assert rec["consumed"] == rec["processed"] + rec["dead_lettered"] and rec["dead_lettered"] == 0


def test_every_checked_case_is_listed_complete_ones_with_no_defects(inspectie_report: dict[str, Any]) -> None:
    cases = inspectie_report["cases"]
    assert len(cases) == len({c["case"] for c in cases}) == inspectie_report["cases_checked"]
    complete = [c for c in cases if c["defects"] == []]  # an empty list, not a missing or null field
    assert len(complete) == inspectie_report["cases_checked"] - inspectie_report["cases_defective"] > 0
    assert {"rule", "category", "partner", "kind"} <= set(next(c for c in cases if c["defects"])["defects"][0])


def test_ideal_profile_gives_zero_defects(kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    sim = simulate(kafka_cluster, tmp_path, 2_000, "ideal")
    report = validate(sim, tmp_path)
    assert report["cases_checked"] > 200
    assert report["defect_rate"] == 0.0 and all(r == 0.0 for r in report["categories"].values())


def test_offline_validation_of_a_recording_equals_online(inspectie: Sim, inspectie_report: dict[str, Any],
                                                          kafka_settings: Settings, tmp_path: Path) -> None:
    recording = tmp_path / "chain.jsonl.zst"
    consumer = clients.consumer(kafka_settings)
    try:
        with RecordingWriter(recording, {"cluster": kafka_settings.bootstrap}) as writer:
            for record in read_from_start(consumer, chain_partitions(consumer, inspectie.prefix)):
                writer.write(record)
    finally:
        consumer.close()
    out = tmp_path / "offline.json"
    result = sigma("validate", "--from-file", str(recording), "--report-json", str(out), "-q",
                   env={"SIGMA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "SIGMA_TOPIC_PREFIX": inspectie.prefix})
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text()) == inspectie_report


def test_each_snapshot_covers_exactly_the_records_processed_not_those_waiting_their_turn(
        kafka_cluster: KafkaCluster, inspectie: Sim, tmp_path: Path) -> None:
    """While catching up, polled records wait in the backlog until their partition is the furthest behind
    (``validator.catchup``); a snapshot, and the offsets committed with it, must not cover them, or a restart
    would skip them. The stream was written without transactions, so its offsets have no gaps: a snapshot's
    offsets add up to exactly the records its state has consumed."""
    options = OnlineOptions(group=f"g-snap-{uuid.uuid4().hex[:8]}", to_end=True, state_dir=tmp_path,
                            snapshot_interval=0.05, publish_findings=False)
    validator = OnlineValidator(kafka_cluster.settings(topic_prefix=inspectie.prefix), options)
    seen: list[tuple[int, int, int]] = []

    def covered(engine: Engine) -> None:  # called once the snapshot on disk is committed
        with validator.snapshot_file.open("rb") as handle:
            snap = pickle.load(handle)
        seen.append((sum(snap.offsets.values()), snap.state.counters.consumed, len(validator.backlog)))

    options.on_snapshot = covered
    engine = validator.run()
    assert len(seen) > 2 and any(waiting for _, _, waiting in seen)  # records were waiting around snapshots
    assert [offsets for offsets, _, _ in seen] == [consumed for _, consumed, _ in seen]
    consumer = clients.consumer(kafka_cluster.settings())
    try:
        total = sum(consumer.end_offsets(chain_partitions(consumer, inspectie.prefix)).values())
    finally:
        consumer.close()
    assert seen[-1][:2] == (total, total) and engine.state.counters.consumed == total


def test_killed_twice_and_restarted_gives_the_identical_report(inspectie: Sim, inspectie_report: dict[str, Any],
                                                                tmp_path: Path) -> None:
    group = f"g-kill-{uuid.uuid4().hex[:8]}"
    state = tmp_path / "state"
    out = tmp_path / "killed.json"
    args = [SIGMA, "validate", "--to-end", "--group", group, "--state-dir", str(state), "--snapshot-interval", "0.2",
            "--report-json", str(out), "-q"]
    env = {**os.environ, **inspectie.env}
    for kill in range(2):
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        snapshots = list(state.glob("*.snapshot"))
        before = snapshots[0].stat().st_mtime_ns if snapshots else 0
        while True:  # kill it only after it has written a snapshot this run: the restart must resume from one
            current = list(state.glob("*.snapshot"))
            if current and current[0].stat().st_mtime_ns != before:
                break
            assert time.monotonic() < deadline and proc.poll() is None, f"run {kill + 1} wrote no snapshot"
            time.sleep(0.02)
        time.sleep(0.3 * kill)
        assert proc.poll() is None, f"run {kill + 1} ended before it could be killed mid-way"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not out.exists()
    final = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stderr
    assert json.loads(out.read_text()) == inspectie_report


def test_salted_stream_is_fully_accounted_for_and_dead_lettered_with_reasons(
        kafka_cluster: KafkaCluster, tmp_path: Path, unique_name: Callable[[str], str]) -> None:
    sim = simulate(kafka_cluster, tmp_path, 300, "ideal")
    settings = kafka_cluster.settings(topic_prefix=sim.prefix)
    good = example(FitToFly)
    record = to_record(good, AvroSerializer(), prefix=sim.prefix)
    json_record = to_record(good, JsonSerializer(), prefix=sim.prefix)
    foreign = good.model_construct(**{**dict(good), "partner": "coa"})
    mismatched = to_record(good, AvroSerializer(), prefix=sim.prefix)
    topic = sim.prefix + FitToFly.topic_of(Partner.MEDICAL)
    bad_json = json.dumps({**json.loads(json_record.value), "fit": "yes"}).encode()
    salted: dict[str, tuple[bytes | None, bytes, list[tuple[str, bytes]]]] = {
        "not-avro": (record.key, b"garbage bytes", []),
        "unknown-schema": (record.key, b"\xc3\x01" + b"\x01" * 8 + record.value[10:], []),
        "truncated": (record.key, record.value[:14], record.headers),
        "schema-invalid": (record.key, bad_json, json_record.headers),
        "content-type": (record.key, record.value, [("content-type", b"text/plain")]),
        "no-key": (None, record.value, record.headers),
        "key-mismatch": (b"ck_" + b"0" * 24, mismatched.value, mismatched.headers),
        "partner-not-allowed": (record.key, AvroSerializer()(foreign), record.headers),
    }
    producer = clients.producer(settings)
    for key, value, headers in salted.values():
        producer.send(topic, key=key, value=value, headers=headers)
    producer.flush()
    producer.close()
    report = validate(sim, tmp_path)
    rec = report["records"]
    assert rec["dead_lettered"] == len(salted)
    assert rec["consumed"] == rec["processed"] + rec["dead_lettered"]
    assert report["dead_letters"] == {code: 1 for code in salted}

    consumer = clients.consumer(settings)
    try:
        letters = list(read_from_start(consumer, existing_partitions(consumer, [sim.prefix + topics.DLQ])))
    finally:
        consumer.close()
    by_code = {dict(m.headers)["dlq_error_code"].decode(): m for m in letters}
    assert set(by_code) == set(salted)
    for code, (key, value, headers) in salted.items():
        letter = by_code[code]
        h = dict(letter.headers)
        assert letter.key == key and letter.value == value
        assert list(letter.headers)[: len(headers)] == headers
        check_dead_letter(letter.headers, len(headers))
        assert h["dlq_topic"].decode() == topic and int(h["dlq_offset"]) >= 0 and "dlq_partition" in h
        assert h["dlq_stage"].decode() in {"decode", "validate", "semantic"}
        assert "dlq_reason" in h and "dlq_timestamp" in h
    assert dict(by_code["schema-invalid"].headers)["dlq_json_path"] == b"$.fit"
    assert dict(by_code["schema-invalid"].headers)["dlq_stage"] == b"validate"


def test_dossier_shows_what_each_partner_shared_and_what_is_wrong(inspectie: Sim,
                                                                   inspectie_report: dict[str, Any]) -> None:
    case = next(c for c in inspectie_report["cases"] if c["defects"])
    result = sigma("dossier", case["case"], env={**inspectie.env, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    for defect in case["defects"]:
        assert f"{defect['kind']} {defect['category']}" in result.stdout
        assert defect["rule"] in result.stdout
    assert "case_handed_over" in result.stdout and "flight_booking" in result.stdout
    unknown = sigma("dossier", "ck_" + "f" * 24, env=inspectie.env)
    assert unknown.returncode == 2 and "no events for case" in unknown.stderr


def test_validate_and_dossier_refuse_a_prefix_without_chain_topics(kafka_cluster: KafkaCluster,
                                                                    tmp_path: Path) -> None:
    prefix = f"test-none-{uuid.uuid4().hex[:8]}."
    env = {**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}
    missing = (f"sigma: error: topic {prefix}{CHAIN_TOPICS[0].name} does not exist (topic prefix {prefix!r}, from "
               "SIGMA_TOPIC_PREFIX): ")
    for args in (("validate", "--to-end", "--state-dir", str(tmp_path)), ("dossier", "ck_" + "f" * 24)):
        result = sigma(*args, env=env)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.startswith(missing) and result.stderr.count("\n") == 1, (args, result.stderr)
