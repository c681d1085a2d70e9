"""The validator's Prometheus metrics and health checks, scraped over HTTP on the real broker, against the
report the same run writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from runtime import clients
from runtime.broker.embedded import free_port
from runtime.topics import apply_topics
from schemas.categories import Category
from schemas.events import Belongings, FlightBooking, Partner
from schemas.topics import ALL_TOPICS, CHAIN_TOPICS
from tests.clirunner import SIGMA, sigma
from tests.conftest import KafkaCluster
from validator.engine import Engine
from validator.metrics import ValidatorMetrics

pytestmark = pytest.mark.kafka

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def scrape(port: int) -> Samples:
    """Every sample on /metrics, by name and sorted labels."""
    status, text = _get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def by_label(samples: Samples, name: str, label: str) -> dict[str, float]:
    return {dict(labels)[label]: value for (n, labels), value in samples.items() if n == name}


def wait_for(what: str, condition: Callable[[], bool], proc: subprocess.Popen[str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, f"the validator ended while waiting for {what}: {proc.communicate()[1]}"
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.3)


def end_offsets(cluster: KafkaCluster, prefix: str) -> dict[TopicPartition, int]:
    consumer = clients.consumer(cluster.settings())
    try:
        partitions = [TopicPartition(prefix + t.name, p) for t in CHAIN_TOPICS for p in range(t.partitions)]
        ends: dict[TopicPartition, int] = consumer.end_offsets(partitions)
        return ends
    finally:
        consumer.close()


def test_metrics_match_the_report_and_health_follows_the_loop(kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    prefix = f"test-metrics-{uuid.uuid4().hex[:8]}."
    apply_topics(kafka_cluster.settings(), [t.prefixed(prefix) for t in ALL_TOPICS])
    env = {**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}
    simulated = sigma("simulate", "--cases", "400", "--seed", "11", env=env)
    assert simulated.returncode == 0, simulated.stderr
    producer = clients.producer(kafka_cluster.settings())
    for value in (b"garbage", b"more garbage"):
        producer.send(prefix + Belongings.topic_of(Partner.COA), key=b"ck_" + b"1" * 24, value=value)
    producer.send(prefix + FlightBooking.topic_of(Partner.DTV), key=None, value=b"no key")
    producer.flush()
    producer.close()
    ends = end_offsets(kafka_cluster, prefix)
    total = sum(ends.values())

    port = free_port()
    report_file = tmp_path / "report.json"
    proc = subprocess.Popen(
        [SIGMA, "validate", "--group", f"g-{uuid.uuid4().hex[:8]}", "--state-dir", str(tmp_path / "state"),
         "--snapshot-interval", "0.5", "--report-json", str(report_file), "--metrics-port", str(port)],
        # every case kept (no eviction), so the open and checked cases add up to the simulated ones
        env={**os.environ, **env, "SIGMA_LOG_FORMAT": "json", "SIGMA_EVICTION_GRACE_HOURS": "0"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        wait_for("metrics server", lambda: _serving(port), proc)

        def settled() -> bool:
            """Everything consumed, and the report written at a snapshot after it."""
            if not report_file.is_file():
                return False
            consumed = sum(by_label(scrape(port), "sigma_records_consumed_total", "topic").values())
            report = json.loads(report_file.read_text())
            return consumed == total and report["records"]["consumed"] == total

        wait_for("all records consumed and reported", settled, proc)
        time.sleep(1.5)  # a few more snapshots: the cases judged after the last records are in the report too
        report: dict[str, Any] = json.loads(report_file.read_text())
        samples = scrape(port)
        assert json.loads(report_file.read_text()) == report, "the report changed although nothing arrived"

        per_topic: dict[str, float] = {}
        for tp, end in ends.items():
            per_topic[tp.topic] = per_topic.get(tp.topic, 0.0) + end
        consumed = by_label(samples, "sigma_records_consumed_total", "topic")
        assert consumed == {topic: n for topic, n in per_topic.items() if n}
        letters = {(dict(labels)["topic"], dict(labels)["code"]): value for (name, labels), value in samples.items()
                   if name == "sigma_records_dead_lettered_total"}
        assert letters == {(prefix + Belongings.topic_of(Partner.COA), "not-avro"): 2.0,
                           (prefix + FlightBooking.topic_of(Partner.DTV), "no-key"): 1.0}
        processed = by_label(samples, "sigma_records_processed_total", "topic")
        assert {t: processed[t] + sum(v for (lt, _), v in letters.items() if lt == t) for t in consumed} == consumed
        assert sum(processed.values()) == report["records"]["processed"]
        assert sum(letters.values()) == report["records"]["dead_lettered"] == 3

        lag = {(dict(labels)["topic"], dict(labels)["partition"]): value for (name, labels), value in samples.items()
               if name == "sigma_consumer_lag"}
        assert lag == {(tp.topic, str(tp.partition)): 0.0 for tp in ends}

        checked = report["cases_checked"]
        assert samples[("sigma_cases_checked", ())] == checked > 0
        assert samples[("sigma_cases_defective", ())] == report["cases_defective"] > 0
        assert by_label(samples, "sigma_cases_defective_by_category", "category") == {
            c.value: round(report["categories"][c.value] * checked) for c in Category}
        assert samples[("sigma_open_cases", ())] + checked == 400  # every simulated case has a dossier
        assert samples[("sigma_event_time_watermark_seconds", ())] > 0
        assert samples[("sigma_snapshot_seconds_count", ())] >= 1
        assert samples[("sigma_commit_seconds_count", ())] >= 1
        assert _get(f"http://127.0.0.1:{port}/healthz") == (200, "ok\n")
        assert _get(f"http://127.0.0.1:{port}/readyz") == (200, "ok\n")
        assert _get(f"http://127.0.0.1:{port}/nothing")[0] == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr  # docker stop / systemd: stopped cleanly, as on Ctrl-C
    assert "stopped; state and offsets are saved up to the last commit" in stderr
    assert "Traceback" not in stderr


def _serving(port: int) -> bool:
    try:
        return _get(f"http://127.0.0.1:{port}/readyz")[0] == 200
    except OSError:
        return False


def test_lag_is_the_distance_from_the_high_watermark(kafka_cluster: KafkaCluster,
                                                     topic_factory: Callable[..., str]) -> None:
    topic = topic_factory(partitions=1)
    producer = clients.producer(kafka_cluster.settings())
    for i in range(10):
        producer.send(topic, key=b"k", value=bytes([i]), partition=0)
    producer.flush()
    producer.close()
    consumer = clients.consumer(kafka_cluster.settings())
    metrics = ValidatorMetrics()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        batch: dict[TopicPartition, list[Any]] = {}
        while not batch:
            batch = consumer.poll(timeout_ms=1000, max_records=3)
        metrics.polled({topic: len(batch[tp])}, {tp: consumer.position(tp)}, consumer.highwater, Engine(), {})
    finally:
        consumer.close()
    assert metrics.registry.get_sample_value("sigma_consumer_lag", {"topic": topic, "partition": "0"}) == 10 - 3
    assert metrics.registry.get_sample_value("sigma_records_consumed_total", {"topic": topic}) == 3


def test_case_figures_come_back_with_the_snapshot(kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    """A restarted validator (closed cases evicted, as by default) reports the same case figures as the report."""
    prefix = f"test-metrics-{uuid.uuid4().hex[:8]}."
    apply_topics(kafka_cluster.settings(), [t.prefixed(prefix) for t in ALL_TOPICS])
    env = {**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}
    assert sigma("simulate", "--cases", "300", "--seed", "5", env=env).returncode == 0
    group, state, report_file = f"g-{uuid.uuid4().hex[:8]}", tmp_path / "state", tmp_path / "report.json"
    first = sigma("validate", "--to-end", "--group", group, "--state-dir", str(state), "--report-json",
                  str(report_file), "-q", env=env)
    assert first.returncode == 0, first.stderr
    report = json.loads(report_file.read_text())
    port = free_port()
    proc = subprocess.Popen([SIGMA, "validate", "--group", group, "--state-dir", str(state), "--metrics-port",
                             str(port), "-q"], env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for("the restarted validator", lambda: _serving(port), proc)
        samples = scrape(port)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert samples[("sigma_cases_checked", ())] == report["cases_checked"] > 0
    assert samples[("sigma_cases_defective", ())] == report["cases_defective"] > 0
    assert by_label(samples, "sigma_cases_defective_by_category", "category") == {
        c.value: round(report["categories"][c.value] * report["cases_checked"]) for c in Category}
    assert by_label(samples, "sigma_records_consumed_total", "topic") == {}  # counters count this process only
