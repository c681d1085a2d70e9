"""Validator benchmarks, each next to a baseline measured in the same run.

* online: validator events/s vs a bare kafka-python consumer on the same topics (target >= 40%) and vs a
  naive consumer validating each message with pure-Python jsonschema (target >= 10x);
* offline: ``validate --from-file`` events/s on a recording (target >= 100,000 events/s on one core);
* latency: produce -> finding at 1,000 events/s, p50/p99 (target p99 < 50 ms);
* memory: peak engine memory, scaled per 100,000 cases.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import datetime
from pathlib import Path

import jsonschema
from kafka import TopicPartition

from bench.streams import chain_records
from consumers.recording import RecordingWriter
from schemas.catalogue import CATALOGUE
from schemas.codec import Deserializer, SerializationContext
from schemas.topics import ALL_TOPICS, CHAIN_TOPICS, FINDINGS
from sigma import clients
from sigma.settings import load_settings
from sigma.topics import apply_topics
from validator.engine import Engine
from validator.offline import validate_recording
from validator.online import OnlineOptions, OnlineValidator


def _produce(settings, prefix: str, records) -> None:  # type: ignore[no-untyped-def]
    producer = clients.producer(settings, linger_ms=20)
    for r in records:
        producer.send(prefix + r.topic, key=r.key, value=r.value, headers=r.headers)
    producer.flush()
    producer.close()


def _bare(settings, prefix: str) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    consumer = clients.consumer(settings)
    parts = [TopicPartition(prefix + t.name, p) for t in CHAIN_TOPICS for p in range(t.partitions)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    end = consumer.end_offsets(parts)
    n, started = 0, time.perf_counter()
    while any(consumer.position(tp) < end[tp] for tp in parts):
        for batch in consumer.poll(timeout_ms=200, max_records=5000).values():
            n += len(batch)
    seconds = time.perf_counter() - started
    consumer.close()
    return n, seconds


def _naive(settings, prefix: str, limit: int) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Decode with fastavro and validate every message with pure-Python jsonschema (the slow way)."""
    deserializer = Deserializer()
    schemas = {s.name: CATALOGUE.json_schema(s.name, s.latest) for s in CATALOGUE.subjects()}
    consumer = clients.consumer(settings)
    parts = [TopicPartition(prefix + t.name, p) for t in CHAIN_TOPICS for p in range(t.partitions)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    n, started = 0, time.perf_counter()
    while n < limit:
        for batch in consumer.poll(timeout_ms=200, max_records=1000).values():
            for msg in batch:
                plan = deserializer.decode(msg.value, SerializationContext(msg.topic, msg.headers))
                doc = json.loads(json.dumps(plan.data, default=str))
                jsonschema.validate(doc, schemas[plan.subject])
                n += 1
    seconds = time.perf_counter() - started
    consumer.close()
    return n, seconds


def _validator(settings, tmp: Path) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    options = OnlineOptions(group=f"bench-{uuid.uuid4().hex[:6]}", to_end=True, state_dir=tmp, snapshot_interval=30)
    started = time.perf_counter()
    engine = OnlineValidator(settings, options).run()
    return engine.state.counters.consumed, time.perf_counter() - started


def _caught_up(settings, group: str, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``group`` has committed the end of every chain partition (its backlog is done)."""
    admin = clients.admin(settings)
    probe = clients.consumer(settings)
    parts = [TopicPartition(settings.topic_prefix + t.name, p) for t in CHAIN_TOPICS for p in range(t.partitions)]
    end = probe.end_offsets(parts)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            committed = admin.list_group_offsets({group: None}).get(group) or {}
            if all(committed.get(tp) is not None and committed[tp].offset >= end[tp] for tp in parts):
                return
            time.sleep(0.2)
        raise SystemExit(f"bench_validator: the validator did not catch up within {timeout:.0f} s")
    finally:
        probe.close()
        admin.close()


def _latency(settings, tmp: Path, records, rate: int, seconds: float) -> list[float]:  # type: ignore[no-untyped-def]
    """Send at ``rate``/s to a continuous validator that has caught up with a backlog; produce->finding (ms).

    A finding is caused by the later of two sends: the event that moved the stream's watermark past the
    case's checkpoint, and the case's own latest event sent before the finding arrived (a late event
    changes a verdict already published). Latency is measured from that send. The load generator waits
    in ``poll`` between sends rather than spinning: on a two-core machine a spinning loop would take the
    CPU the broker and the validator need.
    """
    deser = Deserializer()
    middle = len(records) // 2
    _produce(settings, "", records[:middle])
    stream = records[middle: middle + int(rate * seconds)]
    marks = [deser.decode(r.value, SerializationContext(r.topic, r.headers)).data["recorded_at"] for r in stream]
    highs: list[datetime] = []
    for m in marks:
        highs.append(max(highs[-1], m) if highs else m)
    group = f"lat-{uuid.uuid4().hex[:6]}"
    # the validator runs as its own process, as in production (no GIL shared with this load generator)
    validator = subprocess.Popen(
        [str(Path(sys.executable).with_name("sigma")), "validate", "--group", group,
         "--state-dir", str(tmp), "--snapshot-interval", "5", "-q"],
        env={**os.environ, "SIGMA_BOOTSTRAP_SERVERS": settings.bootstrap, "SIGMA_TOPIC_PREFIX": settings.topic_prefix},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    findings = clients.consumer(settings)
    parts = [TopicPartition(settings.topic_prefix + FINDINGS, p) for p in range(6)]
    findings.assign(parts)
    _caught_up(settings, group)
    findings.seek_to_end(*parts)  # findings for the preloaded half are not part of the measurement
    producer = clients.producer(settings, linger_ms=5)
    for topic in {r.topic for r in stream}:
        producer.partitions_for(topic)  # metadata before the clock starts: the first sends are not slower
    sent_at: list[float] = []
    arrivals: list[tuple[float, dict[str, str]]] = []
    sends_of: dict[bytes, list[float]] = {}

    def receive(wait_s: float) -> None:
        for batch in findings.poll(timeout_ms=max(0, int(wait_s * 1000))).values():
            arrivals.extend((time.perf_counter(), json.loads(m.value)) for m in batch)

    gc.collect()
    gc.freeze()  # this process holds a million records: its own full collections must not stall the timing
    started = time.perf_counter()
    for i, r in enumerate(stream):
        due = started + i / rate
        while (left := due - time.perf_counter()) > 0.001:
            receive(left)
        sent_at.append(time.perf_counter())
        sends_of.setdefault(r.key, []).append(sent_at[-1])
        producer.send(r.topic, key=r.key, value=r.value, headers=r.headers)
    producer.flush()
    end = time.perf_counter() + 2.0
    while time.perf_counter() < end:
        receive(0.05)
    gc.unfreeze()
    validator.terminate()
    validator.wait()
    producer.close()
    findings.close()

    latencies = []
    for arrived, finding in arrivals:
        index = bisect.bisect_left(highs, datetime.fromisoformat(finding["checkpoint"]))
        own = [t for t in sends_of.get(finding["case"].encode(), []) if t < arrived]
        causes = ([sent_at[index]] if index < len(sent_at) else []) + own[-1:]
        if causes:
            latencies.append((arrived - max(causes)) * 1000)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 cases instead of 100,000")
    args = parser.parse_args()
    cases = 10_000 if args.quick else 100_000
    print(f"generating {cases:,} cases …", flush=True)
    records = chain_records(cases)
    print(f"{len(records):,} events")

    engine = Engine()
    tracemalloc.start()
    started = time.perf_counter()
    engine.feed(records)
    engine_seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mem_per_100k = peak * 100_000 / cases / 2**20

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / "stream.jsonl"
        with RecordingWriter(path, {"cluster": "bench"}) as writer:
            for r in records:
                writer.write(r)
        started = time.perf_counter()
        validate_recording(path, Engine())
        offline_seconds = time.perf_counter() - started

        bootstrap = os.environ.get("SIGMA_BOOTSTRAP_SERVERS")
        rows = [
            ("engine only (in memory)", len(records) / engine_seconds, ""),
            ("offline validate --from-file", len(records) / offline_seconds, "target >= 100,000 events/s"),
        ]
        online_rows = []
        if bootstrap:
            prefix = f"bench-{uuid.uuid4().hex[:6]}."
            settings = load_settings(bootstrap_servers=bootstrap, topic_prefix=prefix)
            apply_topics(settings, [t.prefixed(prefix) for t in ALL_TOPICS])
            online_sample = records[: min(len(records), 200_000)]
            _produce(settings, prefix, online_sample)
            n_bare, s_bare = _bare(settings, prefix)
            n_val, s_val = _validator(settings, tmp)
            n_naive, s_naive = _naive(settings, prefix, 5_000 if args.quick else 20_000)
            bare, val, naive = n_bare / s_bare, n_val / s_val, n_naive / s_naive
            online_rows = [("bare kafka-python consumer", bare, "baseline"),
                           ("sigma validate --to-end", val, f"{val / bare:.0%} of bare (target >= 40%)"),
                           ("naive consumer + pure-Python jsonschema", naive, f"validator is {val / naive:.0f}x "
                            "(target >= 10x)")]
            lat_prefix = f"lat-{uuid.uuid4().hex[:6]}."
            lat_settings = load_settings(bootstrap_servers=bootstrap, topic_prefix=lat_prefix)
            apply_topics(lat_settings, [t.prefixed(lat_prefix) for t in ALL_TOPICS])
            latencies = _latency(lat_settings, tmp, [_retarget(r, lat_prefix) for r in records], 1000,
                                 5.0 if args.quick else 15.0)
        print(f"\n{'measure':45} {'events/s':>12}  note")
        for name, rate, note in rows + online_rows:
            print(f"{name:45} {rate:12,.0f}  {note}")
        print(f"{'peak engine memory per 100,000 cases':45} {mem_per_100k:10,.0f} MB")
        if bootstrap and latencies:
            q = statistics.quantiles(latencies, n=100)
            print(f"produce -> finding at 1,000 events/s: {len(latencies)} findings, p50 {q[49]:.1f} ms, "
                  f"p99 {q[98]:.1f} ms (target p99 < 50 ms)")


def _retarget(record, prefix: str):  # type: ignore[no-untyped-def]
    from consumers.records import ConsumedRecord

    return ConsumedRecord(prefix + record.topic, record.partition, record.offset, record.timestamp,
                          record.timestamp_type, record.key, record.value, record.headers)


if __name__ == "__main__":
    main()
