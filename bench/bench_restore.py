"""Restoring the validator's state from its changelog topic: 50,000 open cases, next to the floor.

The state: a simulated stream of 6,000 cases read to four fifths (about 5,400 open cases, real dossiers with
the facts, duplicate-detection hashes and late deliveries the engine built), its dossiers repeated under other
case keys up to 50,000 (``--quick``: 5,000), each on its key's partition. Its records are written to a fresh
compacted topic of the chain topics' partition count (``validator.changelog_kafka``).

Measured, best of three interleaved rounds (a neighbour's burst then hits both sides alike):

* floor: reading the same records from the earliest offset with a bare kafka-python consumer (default
  settings, no decoding): what any restore from Kafka costs at least;
* restore: reading them with the validator's consumer and rebuilding the engine state
  (``changelog_kafka.read`` + ``changelog.restore``), checked equal to the state written;
* encode: the records of every case and partition (``changelog.snapshot`` + ``flush``), per case.

``python -m bench.bench_restore [--quick]``; uses SIGMA_BOOTSTRAP_SERVERS or starts a broker.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from kafka import KafkaConsumer, TopicPartition

from bench.cluster import bench_cluster
from bench.streams import chain_records
from runtime import clients, logs
from runtime.settings import load_settings
from runtime.topics import apply_topics
from schemas.casekey import case_key
from schemas.placement import kafka_partition
from schemas.topics import CHAIN_TOPICS
from validator import changelog, changelog_kafka
from validator.engine import Engine, EngineState

SIMULATED = 6000
ROUNDS = 3


def _state(cases: int, partitions: int) -> EngineState:
    """An engine state holding ``cases`` open cases (see the module docstring)."""
    records = chain_records(SIMULATED)
    engine = Engine()
    engine.feed(records[:len(records) * 4 // 5])
    state = engine.state
    models = list(state.dossiers.values())
    state.dossiers = {}
    for i in range(cases):
        key = case_key(f"{i:010d}", b"bench-restore")
        state.dossiers[key] = replace(models[i % len(models)], case=key,
                                      partition=kafka_partition(key.encode(), partitions))
    return state


def _timed(work: Callable[[], object]) -> tuple[float, object]:
    """Seconds ``work`` took, and what it returned."""
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def _floor(bootstrap: str, partitions: list[TopicPartition]) -> int:
    """Bytes of every record of ``partitions`` read from the start with a bare kafka-python consumer."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        size = 0
        while any(consumer.position(tp) < stop for tp, stop in end.items()):
            for batch in consumer.poll(timeout_ms=200).values():
                size += sum(len(m.key) + len(m.value or b"") for m in batch)
        return size
    finally:
        consumer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5,000 cases instead of 50,000")
    args = parser.parse_args()
    logs.configure("warning")
    cases = 5_000 if args.quick else 50_000
    partitions = CHAIN_TOPICS[0].partitions
    print(f"building a state of {cases:,} open cases …", flush=True)
    state = _state(cases, partitions)
    started = time.perf_counter()
    written = changelog.snapshot(state, {}) + changelog.flush(state, {}, range(partitions))
    encode = time.perf_counter() - started
    size = sum(len(r.key) + len(r.value or b"") for r in written)
    with bench_cluster() as bootstrap:
        settings = load_settings(bootstrap_servers=bootstrap)
        topic = f"bench-changelog-{uuid.uuid4().hex[:8]}"
        apply_topics(settings, [changelog_kafka.spec(topic, partitions)])
        producer = clients.producer(settings)
        try:
            changelog_kafka.write(producer, topic, written)
        finally:
            producer.close()
        tps = [TopicPartition(topic, p) for p in range(partitions)]

        def restore() -> changelog.Restored:
            consumer = clients.consumer(settings)
            try:
                return changelog.restore(changelog_kafka.read(consumer, tps))
            finally:
                consumer.close()

        floors, restores = [], []
        restored: object = None
        for _ in range(ROUNDS):
            seconds, read = _timed(lambda: _floor(bootstrap, tps))
            assert read == size, f"the floor read {read} bytes of {size}"
            floors.append(seconds)
            seconds, restored = _timed(restore)
            restores.append(seconds)
    assert isinstance(restored, changelog.Restored)
    assert restored.state.dossiers == state.dossiers and restored.state.counters == state.counters
    floor, best = min(floors), min(restores)
    print(f"{cases:,} open cases, {len(written):,} records, {size / 2**20:,.1f} MiB ({size / cases:,.0f} bytes a case; "
          f"{sum(d.count for d in state.dossiers.values()) / cases:.1f} events a case); best of {ROUNDS} rounds")
    print(f"{'changelog restore':44} {'seconds':>8} {'cases/s':>10} {'x floor':>8}")
    print(f"{'floor: bare kafka-python read, no decoding':44} {floor:8.2f} {cases / floor:10,.0f} {1:8.2f}")
    print(f"{'restore: read + decode + rebuild the state':44} {best:8.2f} {cases / best:10,.0f} {best / floor:8.2f}")
    print(f"encode (snapshot of every case + partition records): {encode / cases * 1e6:,.1f} µs a case, "
          f"{encode:.2f} s in all; restored state equal to the written one: yes")


if __name__ == "__main__":
    main()
