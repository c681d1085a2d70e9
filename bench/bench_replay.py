"""Recording reader and ``replay --speed max``, each next to a baseline measured in the same run.

1. Reading a recording of chain events (1,000,000 records; ``--quick``: 100,000): ``read_recording``
   (orjson + binascii, with line/trailer checks) against the obvious reader (``json.loads`` +
   ``base64.b64decode`` per line, no checks). Offline validation at >= 100,000 events/s needs the reader
   well above that, since the validator's own work comes on top (see bench_validator).
2. Replaying 100,000 records (``--quick``: 20,000) at ``--speed max`` into a fresh sandbox prefix against
   a bare kafka-python producer sending the same records (default settings, one ``flush`` at the end),
   both into topics created beforehand.

``python -m bench.bench_replay [--quick]``; uses SIGMA_BOOTSTRAP_SERVERS or starts a broker.
"""

from __future__ import annotations

import base64
import itertools
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

from kafka import KafkaProducer

from bench.cluster import bench_cluster
from bench.streams import chain_records
from consumers.recording import RecordingWriter, read_recording
from consumers.records import ConsumedRecord
from consumers.replay import replay
from runtime.settings import Settings
from runtime.topics import apply_topics
from schemas.topics import TopicSpec


def _write(path: Path, count: int, partitions: int) -> dict[str, int]:
    """A recording of ``count`` chain records (a simulation cycled) over ``partitions`` per topic."""
    sample = chain_records(300)
    topics = {r.topic: partitions for r in sample}
    with RecordingWriter(path, {"cluster": "bench", "topics": topics}) as writer:
        for offset, record in enumerate(itertools.islice(itertools.cycle(sample), count)):
            writer.write(record._replace(partition=offset % partitions, offset=offset,
                                         timestamp=record.timestamp + offset))
    return topics


def _naive_read(path: Path) -> int:
    """The obvious reader: json + base64 per line, no validation of the file's shape."""
    count = 0
    with path.open("rb") as handle:
        next(handle)
        for line in handle:
            obj = json.loads(line)
            if "end" in obj:
                break
            ConsumedRecord(obj["topic"], obj["partition"], obj["offset"], obj["timestamp"], obj["timestamp_type"],
                           None if obj["key"] is None else base64.b64decode(obj["key"]),
                           None if obj["value"] is None else base64.b64decode(obj["value"]),
                           [(k, base64.b64decode(v)) for k, v in obj["headers"]])
            count += 1
    return count


def _reading(path: Path, count: int, rounds: int) -> tuple[float, float]:
    """Records/s of the naive reader and of ``read_recording``: best of ``rounds``, interleaved."""
    best_naive = best_ours = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        assert _naive_read(path) == count
        best_naive = min(best_naive, time.perf_counter() - started)
        started = time.perf_counter()
        assert sum(1 for _ in read_recording(path)) == count
        best_ours = min(best_ours, time.perf_counter() - started)
    return count / best_naive, count / best_ours


def _bare_producer(bootstrap: str, path: Path, prefix: str) -> float:
    """Seconds for a default kafka-python producer to send the recording's records and flush."""
    records = list(read_recording(path))
    producer = KafkaProducer(bootstrap_servers=bootstrap.split(","))
    started = time.perf_counter()
    for r in records:
        producer.send(prefix + r.topic, key=r.key, value=r.value, headers=r.headers, partition=r.partition)
    producer.flush()
    seconds = time.perf_counter() - started
    producer.close()
    return seconds


def main(argv: list[str]) -> int:
    """Print both tables; exit 0 (the verdict is in the table)."""
    quick = "--quick" in argv
    reads, sends, rounds = (100_000, 20_000, 2) if quick else (1_000_000, 100_000, 3)
    with tempfile.TemporaryDirectory(prefix="sigma-bench-replay-") as tmp:
        big = Path(tmp) / "big.jsonl"
        _write(big, reads, 6)
        size = big.stat().st_size / 1e6
        naive, ours = _reading(big, reads, rounds)
        print(f"reading a {reads:,}-record recording ({size:.0f} MB), best of {rounds}, one core")
        print(f"{'reader':<34} {'records/s':>12} {'ratio':>6}")
        print(f"{'json + base64 (baseline)':<34} {naive:>12,.0f} {1.0:>6.2f}")
        print(f"{'read_recording':<34} {ours:>12,.0f} {ours / naive:>6.2f}")
        print("(offline validation, its floor and its target: see bench_validator)")
        small = Path(tmp) / "replay.jsonl"
        topics = _write(small, sends, 3)
        with bench_cluster() as bootstrap:
            settings = Settings(bootstrap_servers=bootstrap)
            run = uuid.uuid4().hex[:8]
            replay_prefix, bare_prefix = f"bench-replay-{run}.", f"bench-bare-{run}."
            apply_topics(settings, [TopicSpec(prefix + t, n, "bench") for t, n in topics.items()
                                    for prefix in (replay_prefix, bare_prefix)])
            started = time.perf_counter()
            summary = replay(settings, small, speed=None, preserve_timestamps=False, prefix=replay_prefix,
                             keep=lambda _: True)
            replay_seconds = time.perf_counter() - started
            sent = sum(summary.sent.values())
            assert sent == sends, sent
            bare_seconds = _bare_producer(bootstrap, small, bare_prefix)
    print(f"\nreplay of {sends:,} records (--speed max) vs a bare kafka-python producer; ratio = rate / bare rate")
    print(f"{'sender':<34} {'records/s':>12} {'ratio':>6}")
    print(f"{'bare KafkaProducer (baseline)':<34} {sends / bare_seconds:>12,.0f} {1.0:>6.2f}")
    print(f"{'sigma replay --speed max':<34} {sends / replay_seconds:>12,.0f} "
          f"{bare_seconds / replay_seconds:>6.2f}")
    print("(both into topics created beforehand; replay's time includes reading the file, and its producer is "
          "idempotent with acks=all)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
