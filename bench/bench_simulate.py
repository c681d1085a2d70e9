"""``sigma simulate`` throughput next to a bare kafka-python producer sending the same encoded records.

Run: ``.venv/bin/python -m bench.bench_simulate [--quick]`` (a broker is started unless
SIGMA_BOOTSTRAP_SERVERS is set). Rows, best of the rounds, in one run on one broker:

* bare producer — the pipeline's records, generated and encoded beforehand (not timed), sent by a plain
  ``KafkaProducer`` with the same settings (idempotent, acks=all, the same linger), default partitioner;
* sigma simulate — the real pipeline (``producers.runner.simulate``): generation, validation, encoding,
  envelope and truth in the generator process, sending in this one; wall time from start to the last
  acknowledgement, worker start included;
* publish() in one process — ``Publisher.publish`` per event, as a partner system would call it.

The bare loop runs with the collector frozen: it holds every record in memory, and the collector's
repeated scans of that heap would otherwise slow the baseline down (by a third here) for a reason that
has nothing to do with sending.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from contextlib import ExitStack

from bench.cluster import bench_cluster
from producers.profile import load_profile
from producers.publisher import Outgoing, Publisher
from producers.runner import SimulationRun, generate, producer_tuning, simulate
from producers.simulation import Simulation
from runtime import clients
from runtime.progress import Silent
from runtime.settings import Settings, load_settings
from runtime.topics import apply_topics
from schemas.casekey import case_key
from schemas.topics import ALL_TOPICS

SEED = 2018
SECRET = b"bench-secret"
TARGET = 0.80


def _sandbox(settings: Settings, name: str) -> str:
    prefix = f"bench-{name}-{time.time_ns()}."
    apply_topics(settings, [t.prefixed(prefix) for t in ALL_TOPICS])
    return prefix


def _run(settings: Settings, cases: int, prefix: str) -> SimulationRun:
    return SimulationRun(cases=cases, seed=SEED, profile=load_profile("inspectie-2018"), topic_prefix=prefix,
                         case_key_secret=SECRET)


def bare(settings: Settings, records: list[Outgoing]) -> float:
    """Events/s of a plain producer sending ready records (retargeted to a fresh sandbox)."""
    prefix = _sandbox(settings, "bare")
    ready = [(prefix + r.topic.split(".", 1)[1], r.key, r.value, r.headers) for r in records]
    producer = clients.producer(settings, **producer_tuning(None))
    failed: list[BaseException] = []
    gc.freeze()
    try:
        started = time.monotonic()
        for topic, key, value, headers in ready:
            producer.send(topic, value=value, key=key, headers=headers).add_errback(failed.append)
        producer.flush()
        elapsed = time.monotonic() - started
    finally:
        gc.unfreeze()
        producer.close()
    assert not failed, f"bare producer: {len(failed)} failed"
    return len(ready) / elapsed


def pipeline(settings: Settings, cases: int) -> tuple[float, int]:
    """Events/s of ``sigma simulate`` itself, and how many events it sent."""
    summary = simulate(settings, _run(settings, cases, _sandbox(settings, "sim")), Silent())
    return summary.report.sent / summary.seconds, summary.report.sent


def one_process(settings: Settings, cases: int) -> float:
    """Events/s of generating and publishing event by event in one process."""
    prefix = _sandbox(settings, "publish")
    simulation = Simulation(cases=cases, seed=SEED, profile=load_profile("inspectie-2018"),
                            case_key=lambda v: case_key(v, SECRET))
    started = time.monotonic()
    with Publisher(settings, topic_prefix=prefix, **producer_tuning(None)) as publisher:
        for _, event in simulation.events():
            publisher.publish(event)
        report = publisher.flush()
    report.raise_for_failures()
    return report.sent / (time.monotonic() - started)


def main(argv: list[str]) -> int:
    """Print the table; exit 0 (the ratio is reported, not enforced)."""
    quick = "--quick" in argv
    cases, rounds = (2000, 1) if quick else (10_000, 2)
    with ExitStack() as stack:
        bootstrap = os.environ.get("SIGMA_BOOTSTRAP_SERVERS") or stack.enter_context(bench_cluster())
        settings = load_settings(bootstrap_servers=bootstrap)
        records = [r for batch in generate(_run(settings, cases, "bench-ready."), None) for _, r in batch]
        best_bare = best_pipeline = best_single = 0.0
        for _ in range(rounds):
            best_bare = max(best_bare, bare(settings, records))
            rate, sent = pipeline(settings, cases)
            assert sent == len(records), "the pipeline sent a different stream"
            best_pipeline = max(best_pipeline, rate)
        best_single = one_process(settings, cases)
    ratio = best_pipeline / best_bare
    print(f"sigma simulate vs a bare kafka-python producer: {cases:,} cases, {len(records):,} events, "
          f"best of {rounds}")
    print(f"{'path':<40}{'events/s':>12}{'vs bare':>10}")
    for name, rate in (("bare producer, same encoded records", best_bare),
                       ("sigma simulate (generator + sender)", best_pipeline),
                       ("publish() in one process", best_single)):
        print(f"{name:<40}{rate:>12,.0f}{rate / best_bare:>10.2f}")
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(f"target: sigma simulate >= {TARGET:.0%} of bare -> {ratio:.0%}, {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
