"""Catching up on a backlog evenly in event time (``validator.catchup``): how soon findings come, how many cases
wait open, and how far partitions run ahead, next to a bare kafka-python consumer reading the same records.

A fresh topic prefix gets the records of an ``inspectie-2018`` simulation of 10,000 cases (2,000 with
``--quick``); the validator reads them as a backlog (``validate --to-end``, in this process) while a hook notes,
after every poll, the cases open (held without a published finding, as ``sigma_open_cases``), the dossiers held
and each partition's event time. Printed: seconds (wall and CPU) next to the bare consumer's, the time to the
first finding and to half of them, the peaks of open cases and of dossiers held, and the event-time lead: how
far the most advanced partition has been processed past the oldest record not yet processed in any partition
(0 when records are processed in ``recorded_at`` order; the median over the polls after every partition has
delivered, and the largest).
"""

from __future__ import annotations

import argparse
import bisect
import os
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import peers
from bench.bench_validator import _produce
from bench.streams import chain_records
from runtime import logs
from runtime.settings import load_settings
from runtime.topics import apply_topics
from schemas.codec import Deserializer, SerializationContext
from schemas.topics import ALL_TOPICS
from validator.engine import Engine
from validator.metrics import ValidatorMetrics
from validator.online import OnlineOptions, OnlineValidator

Where = tuple[str, int]


class Sampled(ValidatorMetrics):
    """The validator's metrics, noting what this benchmark reports after each poll and each finding."""

    def __init__(self) -> None:
        super().__init__()
        self.started = time.perf_counter()
        self.findings: list[float] = []
        self.polls: list[tuple[int, int, dict[Where, float]]] = []
        """(open cases, dossiers held, each partition's event time as Unix seconds) after each poll."""

    def polled(self, processed: Mapping[str, int], positions: Mapping[Any, int],
               highwater: Callable[[Any], int | None], engine: Engine, published: Mapping[str, object]) -> None:
        super().polled(processed, positions, highwater, engine, published)
        state = engine.state
        progress = {where: at.timestamp() for where, at in state.progress.items()}
        self.polls.append((len(state.dossiers) - len(published), len(state.dossiers), progress))

    def judged(self, before: Any, after: Any) -> None:
        super().judged(before, after)
        if before is None:
            self.findings.append(time.perf_counter() - self.started)


def recorded(records: list[Any], prefix: str) -> dict[Where, list[float]]:
    """Each partition's ``recorded_at`` values (Unix seconds), in order."""
    decode = Deserializer().decode
    times: dict[Where, list[float]] = defaultdict(list)
    for r in records:
        at: datetime = decode(r.value, SerializationContext(r.topic, r.headers)).data["recorded_at"]
        times[(prefix + r.topic, r.partition)].append(at.timestamp())
    return {where: sorted(values) for where, values in times.items()}


def leads(polls: list[tuple[int, int, dict[Where, float]]], times: dict[Where, list[float]]) -> list[float]:
    """Hours the most advanced partition was ahead of the oldest record not yet processed, per poll after every
    partition has delivered (the first record of each is processed first, wherever it lies)."""
    hours = []
    for _, _, progress in polls:
        if len(progress) < len(times):
            continue
        oldest = [values[i] for where, values in times.items()
                  if (i := bisect.bisect_right(values, progress[where])) < len(values)]
        if oldest:
            hours.append(max(0.0, (max(progress.values()) - min(oldest)) / 3600))
    return hours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 cases instead of 10,000")
    args = parser.parse_args()
    logs.configure("warning")
    bootstrap = os.environ.get("SIGMA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        raise SystemExit("bench_catchup: set SIGMA_BOOTSTRAP_SERVERS (python -m bench.run catchup starts a broker)")
    cases = 2_000 if args.quick else 10_000
    records = chain_records(cases)
    prefix = f"bench-catchup-{uuid.uuid4().hex[:6]}."
    settings = load_settings(bootstrap_servers=bootstrap, topic_prefix=prefix)
    apply_topics(settings, [t.prefixed(prefix) for t in ALL_TOPICS])
    _produce(settings, prefix, records)
    times = recorded(records, prefix)
    n = len(records)
    bare_seconds = peers.bare(settings, prefix, n)
    metrics = Sampled()
    with tempfile.TemporaryDirectory() as tmp:
        options = OnlineOptions(group=f"bench-{uuid.uuid4().hex[:6]}", to_end=True, state_dir=Path(tmp),
                                metrics=metrics)
        cpu = time.process_time()
        metrics.started = time.perf_counter()
        engine = OnlineValidator(settings, options).run()
        seconds, cpu = time.perf_counter() - metrics.started, time.process_time() - cpu
    assert engine.state.counters.consumed == n, f"validator consumed {engine.state.counters}"
    lead = leads(metrics.polls, times)
    found = metrics.findings
    print(f"\nbacklog of {cases:,} cases, {n:,} records")
    print(f"{'bare kafka-python consumer':40} {bare_seconds:7.2f} s")
    print(f"{'sigma validate --to-end':40} {seconds:7.2f} s  ({cpu:.2f} s CPU; {bare_seconds / seconds:.0%} of bare)")
    print(f"{'first finding after':40} {found[0]:7.2f} s  ({found[0] / seconds:.0%} of the run)")
    print(f"{'half of the findings after':40} {found[len(found) // 2]:7.2f} s  "
          f"({found[len(found) // 2] / seconds:.0%}; {len(found):,} findings)")
    print(f"{'peak open cases':40} {max(p[0] for p in metrics.polls):7,}")
    print(f"{'peak dossiers held':40} {max(p[1] for p in metrics.polls):7,}  (closed ones go at snapshots)")
    print(f"{'event-time lead, median over polls':40} {statistics.median(lead):7,.0f} h  (largest {max(lead):,.0f} h; "
          "0 in recorded_at order)")


if __name__ == "__main__":
    main()
