"""Record, replay and DLQ redrive on the real broker."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import TopicPartition

from consumers.dlq import DeadLetterWriter
from consumers.recording import read_manifest, read_recording
from consumers.records import ConsumedRecord
from schemas.topics import DLQ, TopicSpec
from sigma import clients
from sigma.settings import Settings
from sigma.topics import apply_topics
from tests.clirunner import sigma
from tests.conftest import KafkaCluster

pytestmark = pytest.mark.kafka


def read_all(settings: Settings, topic: str) -> list[ConsumedRecord]:
    consumer = clients.consumer(settings)
    parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    end = consumer.end_offsets(parts)
    out: list[ConsumedRecord] = []
    deadline = time.monotonic() + 60
    while any(consumer.position(tp) < end[tp] for tp in parts):
        assert time.monotonic() < deadline
        for batch in consumer.poll(timeout_ms=300).values():
            out += [ConsumedRecord.from_kafka(m) for m in batch]
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
    return {"SIGMA_BOOTSTRAP_SERVERS": cluster.bootstrap}


def _shape(records: list[ConsumedRecord], topic: str | None = None) -> list[tuple[object, ...]]:
    return [(topic or r.topic, r.partition, r.timestamp, r.key, r.value, r.headers) for r in records]


def test_record_replay_record_is_lossless(kafka_cluster: KafkaCluster, topic_factory: Callable[..., str],
                                          tmp_path: Path) -> None:
    settings = kafka_cluster.settings()
    topic = topic_factory(partitions=2)
    base = int(time.time() * 1000) - 60_000
    produce(settings, topic, [
        (0, b"\x00\xffbinary-key", b"\x80\x81\x82", [("dup", b"1"), ("dup", b"2"), ("bin", b"\xfe\x00")], base),
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
    apply_topics(settings, [TopicSpec(prefix + DLQ, 3, "dlq")])
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
