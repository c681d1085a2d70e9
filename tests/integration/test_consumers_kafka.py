"""Record, replay and DLQ redrive on the real broker."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import TopicPartition

from consumers.bounded import existing_partitions, read_from_start
from consumers.dlq import DeadLetterWriter
from consumers.recording import read_manifest, read_recording
from consumers.records import ConsumedRecord
from runtime import clients
from runtime.poison import RawHeaderKey
from runtime.settings import Settings
from runtime.topics import apply_topics
from schemas.topics import CHAIN_RETENTION_MS, DLQ, DLQ_CONFIG, OUTPUT_TOPICS, TopicSpec
from tests.clirunner import SIGMA, sigma
from tests.conftest import KafkaCluster

pytestmark = pytest.mark.kafka


def read_all(settings: Settings, topic: str) -> list[ConsumedRecord]:
    consumer = clients.consumer(settings)
    try:
        out = list(read_from_start(consumer, existing_partitions(consumer, [topic])))
    finally:
        consumer.close()
    return sorted(out, key=lambda r: (r.partition, r.offset))


def produce(settings: Settings, topic: str, records: list[tuple[int, bytes | None, bytes | None,
                                                               list[tuple[str, bytes]], int]]) -> None:
    producer = clients.producer(settings)
    for partition, key, value, headers, ts in records:
        producer.send(topic, key=key, value=value, headers=headers, partition=partition, timestamp_ms=ts)
    producer.flush()
    producer.close()


def _env(cluster: KafkaCluster) -> dict[str, str]:
    return cluster.env()


def _shape(records: list[ConsumedRecord], topic: str | None = None) -> list[tuple[object, ...]]:
    return [(topic or r.topic, r.partition, r.timestamp, r.key, r.value, r.headers) for r in records]


def test_record_replay_record_is_lossless(kafka_cluster: KafkaCluster, topic_factory: Callable[..., str],
                                          tmp_path: Path) -> None:
    settings = kafka_cluster.settings()
    topic = topic_factory(partitions=2)
    base = int(time.time() * 1000) - 60_000
    raw = RawHeaderKey(b"\xff\xfeorigin".decode("utf-8", "surrogateescape"))  # a header key that is not UTF-8
    produce(settings, topic, [
        (0, b"\x00\xffbinary-key", b"\x80\x81\x82", [("dup", b"1"), ("dup", b"2"), ("bin", b"\xfe\x00"), (raw, b"r")],
         base),
        (1, None, b"no key", [], base + 10),
        (0, b"k", None, [("empty", b"")], base + 20),
        (1, b"", b"", [("a", b"x")], base + 30),
    ])
    first = tmp_path / "first.jsonl.zst"
    result = sigma("record", "--topics", topic, "--out", str(first), "--to-end", env=_env(kafka_cluster))
    assert result.returncode == 0, result.stderr
    manifest = read_manifest(first)
    assert manifest["topics"] == {topic: 2} and manifest["offsets"][topic]["0"] == [0, 2]
    original = read_all(settings, topic)
    assert sorted(_shape(list(read_recording(first))), key=repr) == sorted(_shape(original), key=repr)

    result = sigma("replay", str(first), "--prefix", "rt.", "--preserve-timestamps", env=_env(kafka_cluster))
    assert result.returncode == 0, result.stderr
    assert "replayed 4 records" in result.stdout
    second = tmp_path / "second.jsonl"
    assert sigma("record", "--topics", f"rt\\.{topic}", "--out", str(second), "--to-end",
                 env=_env(kafka_cluster)).returncode == 0
    again = sorted(_shape(list(read_recording(second)), topic), key=repr)
    assert again == sorted(_shape(original), key=repr)
    replayed = read_all(settings, f"rt.{topic}")
    assert next([k.encode() for k, _ in r.headers] for r in replayed if r.partition == 0) == \
        [b"dup", b"dup", b"bin", b"\xff\xfeorigin"]  # the key's bytes, as the partner sent them


def test_paced_replay_keeps_the_spacing_and_order(kafka_cluster: KafkaCluster, topic_factory: Callable[..., str],
                                                  tmp_path: Path) -> None:
    settings = kafka_cluster.settings()
    topic = topic_factory(partitions=1)
    base = int(time.time() * 1000) - 10_000
    produce(settings, topic, [(0, b"k", str(i).encode(), [], base + 400 * i) for i in range(6)])
    rec = tmp_path / "paced.jsonl"
    assert sigma("record", "--topics", topic, "--out", str(rec), "--to-end", env=_env(kafka_cluster)).returncode == 0
    started = time.monotonic()
    result = sigma("replay", str(rec), "--speed", "2", "--prefix", "paced.", env=_env(kafka_cluster))
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed >= 0.8 * (5 * 0.4 / 2), elapsed
    replayed = read_all(settings, "paced." + topic)
    assert [r.value for r in replayed] == [str(i).encode() for i in range(6)]
    gaps = [b.timestamp - a.timestamp for a, b in itertools.pairwise(replayed)]
    assert sum(gaps) >= 0.8 * 1000, gaps


def test_filters_select_by_case_partner_and_time(kafka_cluster: KafkaCluster, topic_factory: Callable[..., str],
                                                 tmp_path: Path) -> None:
    settings = kafka_cluster.settings()
    topic = topic_factory(partitions=1)
    base = int(time.time() * 1000) - 10_000
    produce(settings, topic, [
        (0, b"ck_a", b"1", [("ce_source", b"/nl/kmar/sigma")], base),
        (0, b"ck_b", b"2", [("ce_source", b"/nl/dtv/sigma")], base + 1000),
        (0, b"ck_a", b"3", [("ce_source", b"/nl/dtv/sigma")], base + 2000),
    ])
    rec = tmp_path / "f.jsonl"
    assert sigma("record", "--topics", topic, "--out", str(rec), "--to-end", env=_env(kafka_cluster)).returncode == 0
    cases = [("case=ck_a", [b"1", b"3"]), ("partner=dtv", [b"2", b"3"]), (f"from={base + 500}", [b"2", b"3"]),
             (f"until={base + 500}", [b"1"])]
    for i, (spec, expected) in enumerate(cases):
        prefix = f"flt{i}."
        result = sigma("replay", str(rec), "--prefix", prefix, "--filter", spec, env=_env(kafka_cluster))
        assert result.returncode == 0, result.stderr
        assert [r.value for r in read_all(settings, prefix + topic)] == expected, spec


def test_replay_errors_name_the_line_and_what_was_sent(kafka_cluster: KafkaCluster,
                                                       topic_factory: Callable[..., str], tmp_path: Path) -> None:
    settings = kafka_cluster.settings()
    topic = topic_factory(partitions=1)
    produce(settings, topic, [(0, b"k", str(i).encode(), [], int(time.time() * 1000)) for i in range(5)])
    rec = tmp_path / "t.jsonl"
    assert sigma("record", "--topics", topic, "--out", str(rec), "--to-end", env=_env(kafka_cluster)).returncode == 0
    lines = rec.read_text().splitlines(keepends=True)
    rec.write_text("".join(lines[:-1]))
    result = sigma("replay", str(rec), "--prefix", "trunc.", env=_env(kafka_cluster))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"sigma: error: {rec}:6: truncated: no trailer after 5 records")
    assert "sent 5 records before the error" in result.stderr
    bad = tmp_path / "v.jsonl"
    bad.write_text('{"format": "sigma-recording", "version": 7}\n')
    result = sigma("replay", str(bad), env=_env(kafka_cluster))
    assert result.returncode == 2 and "unknown recording format version 7" in result.stderr
    assert sigma("record", "--topics", "no-such-topic-.*", "--out", str(tmp_path / "x.jsonl"), "--to-end",
                 env=_env(kafka_cluster)).returncode == 2


def test_dlq_redrive_sends_once_with_a_loop_guard(kafka_cluster: KafkaCluster, unique_name: Callable[[str], str],
                                                  topic_factory: Callable[..., str]) -> None:
    prefix = unique_name("dlq") + "."
    settings = kafka_cluster.settings(topic_prefix=prefix)
    apply_topics(settings, [TopicSpec(prefix + DLQ, 3, "dlq", DLQ_CONFIG)])
    origin = topic_factory(partitions=1)
    producer = clients.producer(settings)
    writer = DeadLetterWriter(producer, prefix + DLQ)
    failed = ConsumedRecord(origin, 0, 41, 1_700_000_000_000, 0, b"ck_x", b"value", [("ce_type", b"t")])
    writer.send(failed, stage="decode", code="not-avro", reason="value is not Avro")
    writer.flush()
    env = {**_env(kafka_cluster), "SIGMA_TOPIC_PREFIX": prefix}

    dry = sigma("dlq", "redrive", "--dry-run", env=env)
    assert dry.returncode == 0 and "dry run: 1 would send, 0 refused" in dry.stdout
    assert read_all(settings, origin) == []

    real = sigma("dlq", "redrive", env=env)
    assert real.returncode == 0 and "1 sent" in real.stdout
    back = read_all(settings, origin)
    assert [(r.key, r.value, r.headers) for r in back] == [(b"ck_x", b"value", [("ce_type", b"t"),
                                                                               ("dlq_redrive_count", b"1")])]
    assert "0 sent" in sigma("dlq", "redrive", env=env).stdout, "a second run must not resend"

    looped = ConsumedRecord(origin, 0, 42, 1_700_000_000_000, 0, b"ck_y", b"v",
                            [("dlq_redrive_count", b"3")])
    writer.send(looped, stage="decode", code="not-avro", reason="still not Avro")
    writer.flush()
    producer.close()
    guarded = sigma("dlq", "redrive", "--max-redrives", "3", env=env)
    assert guarded.returncode == 0 and "0 sent, 1 refused" in guarded.stdout
    assert len(read_all(settings, origin)) == 1


def _recorded(kafka_cluster: KafkaCluster, topic: str, path: Path) -> Path:
    result = sigma("record", "--topics", topic, "--out", str(path), "--to-end", env=_env(kafka_cluster))
    assert result.returncode == 0, result.stderr
    return path


def test_preserved_timestamps_outside_retention_are_warned_about(
        kafka_cluster: KafkaCluster, topic_factory: Callable[..., str], tmp_path: Path) -> None:
    settings = kafka_cluster.settings()
    topic = topic_factory(partitions=1)
    two_hours_ago = int(time.time() * 1000) - 2 * 3600_000
    produce(settings, topic, [(0, b"k", b"old", [], two_hours_ago)])
    rec = _recorded(kafka_cluster, topic, tmp_path / "old.jsonl.gz")
    apply_topics(settings, [TopicSpec("ret." + topic, 1, "short retention", {"retention.ms": "3600000"})])
    result = sigma("replay", str(rec), "--prefix", "ret.", "--preserve-timestamps", env=_env(kafka_cluster))
    assert result.returncode == 0, result.stderr
    assert f"warning: ret.{topic}: preserved timestamps older than its retention.ms=3600000" in result.stderr
    quiet = sigma("replay", str(rec), "--prefix", "ret2.", "--preserve-timestamps", env=_env(kafka_cluster))
    assert quiet.returncode == 0 and "warning" not in quiet.stderr


def test_preserving_timestamps_into_topics_the_broker_stamps_is_refused_before_anything_is_sent(
        kafka_cluster: KafkaCluster, topic_factory: Callable[..., str], tmp_path: Path) -> None:
    """LogAppendTime (the chain topics') would replace every preserved timestamp: a replay that promises to
    keep them refuses, naming the fix; a fresh prefix gets topics the replay creates with CreateTime, which keep
    them, and without the flag the stamped topics take the replay as it is."""
    settings = kafka_cluster.settings()
    topic = topic_factory(partitions=1)
    hour_ago = int(time.time() * 1000) - 3600_000
    produce(settings, topic, [(0, b"k", b"v", [], hour_ago)])
    rec = _recorded(kafka_cluster, topic, tmp_path / "stamped.jsonl")
    apply_topics(settings, [TopicSpec("stamped." + topic, 1, "broker-stamped",
                                      {"message.timestamp.type": "LogAppendTime"})])
    refused = sigma("replay", str(rec), "--prefix", "stamped.", "--preserve-timestamps", env=_env(kafka_cluster))
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"sigma: error: the broker stamps stamped.{topic} with its append time (message.timestamp.type="
        "LogAppendTime), so --preserve-timestamps cannot keep the recorded timestamps; nothing was sent: replay "
        "into a new --prefix, whose topics the replay creates with CreateTime, or leave out --preserve-timestamps")
    assert read_all(settings, "stamped." + topic) == []
    fresh = sigma("replay", str(rec), "--prefix", "fresh.", "--preserve-timestamps", env=_env(kafka_cluster))
    assert fresh.returncode == 0, fresh.stderr
    assert [(r.timestamp, r.timestamp_type) for r in read_all(settings, "fresh." + topic)] == [(hour_ago, 0)]
    unpreserved = sigma("replay", str(rec), "--prefix", "stamped.", env=_env(kafka_cluster))
    assert unpreserved.returncode == 0, unpreserved.stderr
    [stamped] = read_all(settings, "stamped." + topic)
    assert stamped.value == b"v" and stamped.timestamp_type == 1 and stamped.timestamp > hour_ago


def test_replay_filters_by_topic_and_keeps_partitions(kafka_cluster: KafkaCluster,
                                                      topic_factory: Callable[..., str], tmp_path: Path) -> None:
    settings = kafka_cluster.settings()
    wanted, other = topic_factory(partitions=3), topic_factory(partitions=1)
    now = int(time.time() * 1000)
    produce(settings, wanted, [(p, f"k{p}".encode(), f"v{p}".encode(), [], now) for p in range(3)])
    produce(settings, other, [(0, b"k", b"other", [], now)])
    rec = _recorded(kafka_cluster, f"{wanted}|{other}", tmp_path / "two.jsonl")
    result = sigma("replay", str(rec), "--prefix", "only.", "--filter", f"topic={wanted}", env=_env(kafka_cluster))
    assert result.returncode == 0, result.stderr
    assert "replayed 3 records (1 filtered out)" in result.stdout
    assert [(r.partition, r.value) for r in read_all(settings, "only." + wanted)] == [
        (0, b"v0"), (1, b"v1"), (2, b"v2")]
    assert read_all(settings, "only." + other) == []


def test_corrupt_line_stops_the_replay_saying_what_was_sent(
        kafka_cluster: KafkaCluster, topic_factory: Callable[..., str], tmp_path: Path) -> None:
    settings = kafka_cluster.settings()
    topic = topic_factory(partitions=1)
    produce(settings, topic, [(0, b"k", str(i).encode(), [], int(time.time() * 1000)) for i in range(5)])
    rec = _recorded(kafka_cluster, topic, tmp_path / "c.jsonl")
    lines = rec.read_text().splitlines(keepends=True)
    lines[4] = lines[4][:30] + "\n"
    rec.write_text("".join(lines))
    result = sigma("replay", str(rec), "--prefix", "corrupt.", env=_env(kafka_cluster))
    assert result.returncode == 2
    assert f"{rec}:5: corrupt record line" in result.stderr and "sent 3 records before the error" in result.stderr
    assert [r.value for r in read_all(settings, "corrupt." + topic)] == [b"0", b"1", b"2"]
    early = sigma("replay", str(rec), "--prefix", "corrupt2.", "--preserve-timestamps", env=_env(kafka_cluster))
    assert early.returncode == 2 and "corrupt record line" in early.stderr and "nothing was sent" in early.stderr


def test_target_topic_that_cannot_be_created_is_one_clear_error(
        kafka_cluster: KafkaCluster, topic_factory: Callable[..., str], tmp_path: Path) -> None:
    topic = topic_factory(partitions=1)
    produce(kafka_cluster.settings(), topic, [(0, b"k", b"v", [], int(time.time() * 1000))])
    rec = _recorded(kafka_cluster, topic, tmp_path / "m.jsonl")
    result = sigma("replay", str(rec), "--prefix", "bad prefix/", env=_env(kafka_cluster))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("sigma: error: cannot create the target topics") and "nothing was sent" in last


def test_record_until_stops_a_live_capture_and_ctrl_c_closes_cleanly(
        kafka_cluster: KafkaCluster, topic_factory: Callable[..., str], tmp_path: Path) -> None:
    settings = kafka_cluster.settings()
    topic = topic_factory(partitions=1)
    now = int(time.time() * 1000)
    produce(settings, topic, [(0, b"k", b"before", [], now - 5000), (0, b"k", b"after", [], now + 3_600_000)])
    until = tmp_path / "until.jsonl"
    result = sigma("record", "--topics", topic, "--out", str(until), "--until", str(now), env=_env(kafka_cluster))
    assert result.returncode == 0, result.stderr
    assert [r.value for r in read_recording(until)] == [b"before"]

    live = tmp_path / "live.jsonl.zst"
    proc = subprocess.Popen([SIGMA, "record", "--topics", topic, "--out", str(live)],
                            env={**os.environ, **_env(kafka_cluster)}, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    # the capture goes to a temporary file beside the path (renamed onto it at the end); its manifest shows first
    while not any(p.stat().st_size for p in tmp_path.glob(".live.jsonl.zst.*.tmp")):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    assert not live.exists()
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "interrupted; file closed cleanly" in out
    assert not list(tmp_path.glob(".*.tmp")), "renamed onto the path when Ctrl-C closed it"
    captured = [r.value for r in read_recording(live)]  # reads only a file whose trailer counts its records
    # how far a live capture got when Ctrl-C came is a matter of timing; what it holds is a prefix, as reported
    assert captured == [b"before", b"after"][:len(captured)] and f"recorded {len(captured)} records" in out


def test_dead_letters_of_old_records_outlive_the_brokers_retention_checks(
        kafka_cluster: KafkaCluster, unique_name: Callable[[str], str], topic_factory: Callable[..., str]) -> None:
    """A dead letter keeps its record's original timestamp; the DLQ must not let time-based retention drop it."""
    prefix = unique_name("dlqret") + "."
    settings = kafka_cluster.settings(topic_prefix=prefix)
    apply_topics(settings, [t.prefixed(prefix) for t in OUTPUT_TOPICS if t.name == DLQ])
    chain_like = topic_factory(partitions=1, config={"retention.ms": CHAIN_RETENTION_MS})
    old = ConsumedRecord("chain.dtv.flight", 0, 7, 1_700_000_000_000, 0, b"ck_old", b"value", [("ce_type", b"t")])
    producer = clients.producer(settings)
    DeadLetterWriter(producer, prefix + DLQ).send(old, stage="decode", code="not-avro", reason="r")
    producer.send(chain_like, key=old.key, value=old.value, timestamp_ms=old.timestamp)
    producer.flush()
    producer.close()
    consumer = clients.consumer(settings)
    control = TopicPartition(chain_like, 0)
    deadline = time.monotonic() + 30
    while consumer.beginning_offsets([control])[control] == 0:  # the control: retention checks do run
        assert time.monotonic() < deadline, ("the 2023 record outlived the broker's retention checks: this test "
                                             "needs log.retention.check.interval.ms of a few seconds (the embedded "
                                             "test broker uses 1000; an external cluster keeps its own)")
        time.sleep(0.5)
    consumer.close()
    letters = read_all(settings, prefix + DLQ)
    assert [(r.key, r.timestamp) for r in letters] == [(b"ck_old", 1_700_000_000_000)]


def test_dlq_list_summarises_without_values_and_redrive_filters(
        kafka_cluster: KafkaCluster, unique_name: Callable[[str], str], topic_factory: Callable[..., str]) -> None:
    prefix = unique_name("dlql") + "."
    settings = kafka_cluster.settings(topic_prefix=prefix)
    apply_topics(settings, [TopicSpec(prefix + DLQ, 1, "dlq", DLQ_CONFIG)])
    first, second = topic_factory(partitions=1), topic_factory(partitions=1)
    producer = clients.producer(settings)
    writer = DeadLetterWriter(producer, prefix + DLQ)
    for i, (origin, stage, code) in enumerate([(first, "decode", "not-avro"), (first, "decode", "not-avro"),
                                               (first, "validate", "missing-field"),
                                               (second, "semantic", "unknown-case")]):
        record = ConsumedRecord(origin, 0, i, 1_700_000_000_000 + i, 0, f"ck_{i}".encode(), b"SECRET-VALUE", [])
        writer.send(record, stage=stage, code=code, reason="r", path="$.data.x" if stage == "validate" else None)
    writer.flush()
    producer.close()
    env = {**_env(kafka_cluster), "SIGMA_TOPIC_PREFIX": prefix}

    listed = sigma("dlq", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "4 dead letters in 3 groups" in listed.stdout
    row = next(line for line in listed.stdout.splitlines() if "not-avro" in line)
    assert row.split()[:4] == ["2", first, "decode", "not-avro"]
    assert "SECRET" not in listed.stdout and "ck_" not in listed.stdout
    assert "$.data.x" in listed.stdout

    only = sigma("dlq", "redrive", "--dry-run", "--filter", f"topic={first}", "--filter", "stage=decode", env=env)
    assert only.returncode == 0 and "dry run: 2 would send, 0 refused, 2 filtered out" in only.stdout
    assert f"{first}  decode/not-avro: would send 2" in only.stdout
    by_case = sigma("dlq", "redrive", "--filter", "case=ck_3", "--filter", "code=unknown-case", env=env)
    assert by_case.returncode == 0 and "1 sent, 0 refused, 3 filtered out" in by_case.stdout
    assert [r.key for r in read_all(settings, second)] == [b"ck_3"] and read_all(settings, first) == []
    # the letters the filter left behind are still there for a later redrive; the one sent is not sent again
    rest = sigma("dlq", "redrive", env=env)
    assert rest.returncode == 0 and "3 sent, 0 refused, 0 filtered out" in rest.stdout, rest.stdout
    assert [r.key for r in read_all(settings, first)] == [b"ck_0", b"ck_1", b"ck_2"]
    assert [r.key for r in read_all(settings, second)] == [b"ck_3"]
    assert "0 sent, 0 refused, 0 filtered out" in sigma("dlq", "redrive", env=env).stdout
