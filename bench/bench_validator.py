"""Validator benchmarks, each next to a baseline measured in the same run.

* online: validator events/s vs a bare kafka-python consumer on the same topics (target >= 40%) and vs two
  peers a user would write instead (``bench.peers``: decode, validate, group by case, nothing more); no
  target against the peers, which do less: the ratio is reported;
* offline: ``validate --from-file`` events/s on a recording (target >= 100,000 events/s on one core);
* latency: produce -> finding at 1,000 events/s, p50/p99 (target p99 < 50 ms), each finding timed from the
  record that moved the watermark past its case's decision time (``_latency``, ``bench.causes``), for each
  ``--idle-timeout`` in ``IDLE_TIMEOUTS``, next to a bare consumer's produce -> echo measured in the same run
  (the floor);
* memory: peak engine memory, scaled per 100,000 cases.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from kafka.errors import KafkaError

from bench import arrivals, echo, peers
from bench.causes import Crossings
from bench.streams import chain_records
from consumers.bounded import chain_partitions
from consumers.recording import RecordingWriter, read_recording
from runtime import clients, logs
from runtime.settings import load_settings
from runtime.topics import apply_topics
from schemas import native
from schemas.codec import Deserializer, SerializationContext
from schemas.timing import DEFAULT_ALLOWED_LATENESS_HOURS
from schemas.topics import ALL_TOPICS, FINDINGS, TopicSpec
from validator.engine import Engine
from validator.offline import validate_recording
from validator.online import DEFAULT_IDLE_TIMEOUT, OnlineOptions, OnlineValidator


def _produce(settings, prefix: str, records) -> None:  # type: ignore[no-untyped-def]
    """Send ``records``; a send that failed stops the bench (the consumers below read an exact count).

    Retries until the delivery timeout, not the project's 5: a broker busy with other work answers
    NotLeaderForPartition for a while on newly created topics, and 5 retries lost 13 of 96,636 and 105 of
    200,000 records in two runs here (unnoticed until sends were checked).
    """
    producer = clients.producer(settings, linger_ms=20, retries=1_000_000)
    sent = [producer.send(prefix + r.topic, key=r.key, value=r.value, headers=r.headers) for r in records]
    producer.flush()
    producer.close()
    failed = [f.exception for f in sent if f.failed()]
    if failed:
        raise SystemExit(f"bench_validator: {len(failed)} of {len(sent)} sends failed, the first: {failed[0]!r}")


def _validator(settings, tmp: Path, expected: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds for ``sigma validate --to-end`` (in this process) to process the ``expected`` records."""
    options = OnlineOptions(group=f"bench-{uuid.uuid4().hex[:6]}", to_end=True, state_dir=tmp, snapshot_interval=30)
    started = time.perf_counter()
    engine = OnlineValidator(settings, options).run()
    seconds = time.perf_counter() - started
    assert engine.state.counters.processed == expected, f"validator processed {engine.state.counters}"
    return seconds


def _caught_up(settings, group: str, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``group`` has committed the end of every chain partition (its backlog is done)."""
    admin = clients.admin(settings)
    probe = clients.consumer(settings)
    parts = chain_partitions(probe, settings.topic_prefix)
    end = probe.end_offsets(parts)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                committed = admin.list_group_offsets({group: None}).get(group) or {}
            except KafkaError as exc:  # a fresh broker: no coordinator until the first group has asked for one
                if not exc.retriable:
                    raise
                committed = {}
            if all(committed.get(tp) is not None and committed[tp].offset >= end[tp] for tp in parts):
                return
            time.sleep(0.2)
        raise SystemExit(f"bench_validator: the validator did not catch up within {timeout:.0f} s")
    finally:
        probe.close()
        admin.close()


def _paced(settings, stream, rate: int, out_topic: str) -> tuple[list[float], list[arrivals.Arrival]]:  # type: ignore[no-untyped-def]
    """Send ``stream`` at ``rate``/s; return each send's time and every (arrival time, key, value) on ``out_topic``.

    Arrivals are noted by ``bench.arrivals`` in a process of its own (why: see there). This process only
    sends: it sleeps until each send is due, so it takes little of the CPU the broker and the process under
    test need, and its cyclic collector is off while the clock runs (its records are frozen first), so no
    collection holds the GIL while the producer's sender thread has records to send.
    """
    with tempfile.TemporaryDirectory(prefix="sigma-arrivals-") as tmp:
        out = Path(tmp) / "arrivals.pickle"
        receiver = subprocess.Popen([sys.executable, "-m", "bench.arrivals", "--bootstrap", settings.bootstrap,
                                     "--topic", out_topic, "--out", str(out)], stdout=subprocess.PIPE, text=True)
        producer = clients.producer(settings, linger_ms=5)
        sent_at: list[float] = []
        try:
            assert receiver.stdout is not None and receiver.stdout.readline().strip() == "ready", \
                "bench.arrivals failed to start"
            for topic in {r.topic for r in stream}:
                producer.partitions_for(topic)  # metadata before the clock starts: the first sends are not slower
            gc.collect()
            gc.freeze()
            gc.disable()
            started = time.perf_counter()
            for i, r in enumerate(stream):
                left = started + i / rate - time.perf_counter()
                if left > 0:
                    time.sleep(left)
                sent_at.append(time.perf_counter())
                producer.send(r.topic, key=r.key, value=r.value, headers=r.headers)
            producer.flush()
            time.sleep(2.0)  # the last sends' answers
        finally:
            gc.enable()
            gc.unfreeze()
            producer.close()
            receiver.terminate()
            receiver.wait(timeout=30)
        received: list[arrivals.Arrival] = pickle.loads(out.read_bytes())
    return sent_at, received


class Answer(NamedTuple):
    """One finding (or echo) timed."""

    cause: float
    """Send time of the record it is timed from."""
    ms: float
    """Latency: from that send to its arrival."""
    by_idleness: bool
    """It also waited for a silent partition's idle timeout."""
    revision: bool
    """A revision of a finding published before (never for an echo)."""


Timed = list[Answer]


WARMUP_SECONDS = 20.0
"""Sends at the measured rate before the clock counts. A newly started broker's JIT compiles the paths of this
traffic (many small produce and fetch requests) during its first seconds of it: the broker then takes one of
the two cores, and sends and arrivals wait for CPU (measured: broker 95% CPU at the start of the first window,
20% from 20 s on; the same window on the same broker later: 20-40% from the start). A production broker has
long passed that; the warm-up's own p50/p99 are printed too."""

IDLE_TIMEOUTS = (DEFAULT_IDLE_TIMEOUT, 0.0)
"""The validator's ``--idle-timeout`` in each configuration measured, one after the other on the same broker: the
default, which guards simulated streams whose event time runs thousands of times faster than the clock, and 0,
Kafka Streams' default (``max.task.idle.ms``), right when event time runs at the clock's pace (the allowed
lateness then covers records in flight). The stream's event time here runs about 50 hours a second at 1,000
events/s (a 140 s stretch covers ten months), so the allowed hour covers only about 70 ms of sending: with 0, a
record still in flight longer when its partition looks caught up misses its case's decision, and the finding is
revised when it arrives. Revisions are counted for each configuration."""


def _split(run: tuple[Timed, list[float]], warmup_sends: int) -> tuple[Timed, Timed]:
    """Answers caused by the first ``warmup_sends`` sends (the warm-up) and by the rest."""
    timed, sent_at = run
    boundary = sent_at[warmup_sends]
    return [t for t in timed if t.cause < boundary], [t for t in timed if t.cause >= boundary]


def _latency(settings, tmp: Path, stream, rate: int, group: str,  # type: ignore[no-untyped-def]
             idle_timeout: float) -> tuple[Timed, list[float]]:
    """Produce -> finding with a continuous validator that has caught up with a backlog; also the send times.

    The validator runs with ``--idle-timeout idle_timeout`` in consumer group ``group``; a second configuration
    measured after the first runs in the same group and state directory, so it resumes from the first one's last
    snapshot (a restart with another option) rather than reading the whole backlog again.

    A first finding (revision 0) is timed from the send of the record that moved the watermark past the case's
    decision time, its checkpoint plus the allowed lateness (``bench.causes``: per partition, the first record
    recorded at or after it; the last of those over the partitions that held the watermark back until then).
    The stream is sent in event-time order, so the case's own records recorded before its decision time were
    all sent before that record; a case decided by an own record sent after it (a booking recorded after its
    own decision time: none among a full run's findings when checked) would be timed from too early a send,
    overstating, never understating, its latency. A revision follows a record of the case read after the
    decision (or the watermark passing a new decision time): it is timed from the later of the case's latest
    record sent before it arrived and the record that moved the watermark past its decision time.
    """
    deser = Deserializer()
    where_when = [((r.topic, r.partition), deser.decode(r.value, SerializationContext(r.topic, r.headers)).data[
        "recorded_at"]) for r in stream]
    # the validator runs as its own process, as in production (no GIL shared with this load generator)
    validator = subprocess.Popen(
        [str(Path(sys.executable).with_name("sigma")), "validate", "--group", group,
         "--state-dir", str(tmp), "--snapshot-interval", "5", "--idle-timeout", str(idle_timeout), "-q"],
        env={**os.environ, "SIGMA_BOOTSTRAP_SERVERS": settings.bootstrap, "SIGMA_TOPIC_PREFIX": settings.topic_prefix},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _caught_up(settings, group)
        sent_at, received = _paced(settings, stream, rate, settings.topic_prefix + FINDINGS)
    finally:
        validator.terminate()
        validator.wait()
    crossings = Crossings(((where, when, at) for (where, when), at in zip(where_when, sent_at, strict=False)),
                          idle_timeout)
    lateness = timedelta(hours=DEFAULT_ALLOWED_LATENESS_HOURS)
    sends_of: dict[bytes, list[float]] = {}
    for r, at in zip(stream, sent_at, strict=False):
        sends_of.setdefault(r.key, []).append(at)
    latencies: Timed = []
    untimed = 0
    for arrived, key, value in received:
        if key is None or value is None:
            continue  # findings always have both; nothing else is timed
        finding = json.loads(value)
        cause = crossings.cause(datetime.fromisoformat(finding["checkpoint"]) + lateness, arrived)
        revised = bool(finding["revision"])
        own = [t for t in sends_of.get(key, []) if t < arrived][-1:] if revised else []
        if cause is not None and (not own or cause.record >= own[0]):
            latencies.append(Answer(cause.record, (arrived - cause.record) * 1000, cause.by_idleness, revised))
        elif own:
            latencies.append(Answer(own[0], (arrived - own[0]) * 1000, False, revised))
        else:
            untimed += 1
    if untimed:
        print(f"--idle-timeout {idle_timeout:g}: {untimed} findings not timed: no record sent in the run moved the "
              "watermark past their decision time")
    return latencies, sent_at


def _echo_latency(settings, stream, rate: int) -> tuple[Timed, list[float]]:  # type: ignore[no-untyped-def]
    """Produce -> echo through ``bench.echo``, the floor any answering consumer pays here; also the send times."""
    apply_topics(settings, [TopicSpec(settings.topic_prefix + echo.ECHO_TOPIC, 6, "bench echo")])
    process = subprocess.Popen([sys.executable, "-m", "bench.echo", "--bootstrap", settings.bootstrap,
                                "--prefix", settings.topic_prefix], stdout=subprocess.PIPE, text=True,
                               stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready", "bench.echo failed"
        sent_at, received = _paced(settings, stream, rate, settings.topic_prefix + echo.ECHO_TOPIC)
    finally:
        process.terminate()
        process.wait()
    sent_by_id = {next(v for k, v in r.headers if k == "ce_id"): at for r, at in zip(stream, sent_at, strict=False)}
    timed = [Answer(sent_by_id[value], (arrived - sent_by_id[value]) * 1000, False, False)
             for arrived, _, value in received if value in sent_by_id]
    return timed, sent_at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 cases instead of 100,000")
    args = parser.parse_args()
    logs.configure("warning")
    cases = 10_000 if args.quick else 100_000
    print(f"generating {cases:,} cases …", flush=True)
    records = chain_records(cases)
    print(f"{len(records):,} events; native hot paths: {native.UNUSED.why if native.UNUSED else 'yes'}")

    tracemalloc.start()
    Engine().feed(records)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mem_per_100k = peak * 100_000 / cases / 2**20
    deser = Deserializer()
    started = time.perf_counter()
    for r in records:
        deser.decode(r.value, SerializationContext(r.topic, r.headers))
    decode_seconds = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / "stream.jsonl"
        with RecordingWriter(path, {"cluster": "bench"}) as writer:
            for r in records:
                writer.write(r)
        started = time.perf_counter()
        read = sum(1 for _ in read_recording(path))
        reader_seconds = time.perf_counter() - started
        started = time.perf_counter()
        validate_recording(path, Engine())
        offline_seconds = time.perf_counter() - started
        floor = read / (reader_seconds + decode_seconds)

        bootstrap = os.environ.get("SIGMA_BOOTSTRAP_SERVERS")
        rows = [
            ("recording reader alone", read / reader_seconds, "floor part 1"),
            ("Avro decode alone (codec, sigma_native)", len(records) / decode_seconds, "floor part 2"),
            ("reader + decode, nothing else", floor, "the floor for offline validation"),
            ("offline validate --from-file", len(records) / offline_seconds,
             f"{len(records) / offline_seconds / floor:.0%} of the floor (target >= 100,000 events/s)"),
        ]
        online_rows = []
        if bootstrap:
            prefix = f"bench-{uuid.uuid4().hex[:6]}."
            settings = load_settings(bootstrap_servers=bootstrap, topic_prefix=prefix)
            apply_topics(settings, [t.prefixed(prefix) for t in ALL_TOPICS])
            online_sample = records[: min(len(records), 200_000)]
            _produce(settings, prefix, online_sample)
            n = len(online_sample)
            bare = n / peers.bare(settings, prefix, n)
            val = n / _validator(settings, tmp, n)
            with_jsonschema = n / peers.jsonschema_peer(settings, prefix, n)
            with_pydantic = n / peers.pydantic_peer(settings, prefix, n)
            online_rows = [
                ("bare kafka-python consumer", bare, "floor: fetches, decodes nothing"),
                ("sigma validate --to-end", val, f"{val / bare:.0%} of bare (target >= 40%)"),
                ("peer: kafka-python+fastavro+jsonschema-rs", with_jsonschema,
                 f"validator at {val / with_jsonschema:.2f}x its rate (reported)"),
                ("peer: confluent-kafka+fastavro+pydantic", with_pydantic,
                 f"validator at {val / with_pydantic:.2f}x its rate (reported)"),
            ]
            lat_prefix = f"lat-{uuid.uuid4().hex[:6]}."
            lat_settings = load_settings(bootstrap_servers=bootstrap, topic_prefix=lat_prefix)
            apply_topics(lat_settings, [t.prefixed(lat_prefix) for t in ALL_TOPICS])
            retargeted = [_retarget(r, lat_prefix) for r in records]
            middle, rate = len(retargeted) // 2, 1000
            # 120 s in a full run: about 2,800 findings. Slow findings come in clusters (one stall of the machine
            # delays the 5-10 findings in flight), so in a 60 s window a single stall decided p99
            warmup, window = (5.0, 5.0) if args.quick else (WARMUP_SECONDS, 120.0)
            sends = int(rate * (warmup + window))
            _produce(lat_settings, "", retargeted[:middle])
            group = f"lat-{uuid.uuid4().hex[:6]}"
            latencies: dict[float, tuple[Timed, Timed, float]] = {}
            for i, idle in enumerate(IDLE_TIMEOUTS):
                # each configuration gets the stream's next stretch: event time goes on where the one before left it
                stretch = retargeted[middle + i * sends:][:sends]
                warm, timed = _split(_latency(lat_settings, tmp, stretch, rate, group, idle), int(rate * warmup))
                latencies[idle] = warm, timed, os.getloadavg()[0]
            _, echo_latencies = _split(_echo_latency(lat_settings, retargeted[middle:][:sends], rate),
                                       int(rate * warmup))
            echo_load = os.getloadavg()[0]
        print(f"\n{'measure':45} {'events/s':>12}  note")
        for name, per_second, note in rows + online_rows:
            print(f"{name:45} {per_second:12,.0f}  {note}")
        print(f"{'peak engine memory per 100,000 cases':45} {mem_per_100k:10,.0f} MB")
        if bootstrap:
            echoed = _percentiles(echo_latencies)
            print(f"produce -> echo (floor, bare kafka-python) at 1,000 events/s: {len(echo_latencies)} echoes, "
                  f"{_shown(echoed)} (load average {echo_load:.1f})")
            print("produce -> finding at 1,000 events/s, each from the record that moved the watermark past its "
                  "decision time (target p99 < 50 ms):")
            for idle_timeout, (warm, timed, load) in latencies.items():
                _print_latency(idle_timeout, warm, timed, warmup, echoed, load)


def _print_latency(idle_timeout: float, warm: Timed, timed: Timed, warmup: float, echoed: tuple[float, float],
                   load: float) -> None:
    """One configuration's lines: its p50/p99 against the target and the floor, how many waited for idleness,
    and the machine's load average (1 minute) when its window ended: the machine is shared."""
    name = f"--idle-timeout {idle_timeout:g}{' (default)' if idle_timeout == DEFAULT_IDLE_TIMEOUT else ''}"
    if len(timed) < 2:
        print(f"  {name}: {len(timed)} findings timed, too few for percentiles")
        return
    q = _percentiles(timed)
    revisions = sum(t.revision for t in timed)
    print(f"  {name}: {len(timed)} findings ({revisions} revisions), {_shown(q)}, p99 {q[1] / echoed[1]:.1f}x the "
          f"floor's: target {'met' if q[1] < 50 else 'missed'} (load average {load:.1f})")
    idle, prompt = [t for t in timed if t.by_idleness], [t for t in timed if not t.by_idleness]
    print(f"    decided late by idle waiting: {len(idle)} ({len(idle) / len(timed):.0%})"
          + (f", {_shown(_percentiles(idle))}" if len(idle) > 1 else "")
          + (f"; the other {len(prompt)}: {_shown(_percentiles(prompt))}" if idle and len(prompt) > 1 else ""))
    if len(warm) > 1:  # a quick run's 5 s warm-up may cause fewer findings than quantiles need
        print(f"    (warm-up before it, not counted: {len(warm)} findings in {warmup:.0f} s, "
              f"{_shown(_percentiles(warm))})")


def _percentiles(timed: Timed) -> tuple[float, float]:
    """p50 and p99 of the latencies in ``timed`` (at least two)."""
    q = statistics.quantiles([t.ms for t in timed], n=100)
    return q[49], q[98]


def _shown(p: tuple[float, float]) -> str:
    return f"p50 {p[0]:.1f} ms, p99 {p[1]:.1f} ms"


def _retarget(record, prefix: str):  # type: ignore[no-untyped-def]
    from consumers.records import ConsumedRecord

    return ConsumedRecord(prefix + record.topic, record.partition, record.offset, record.timestamp,
                          record.timestamp_type, record.key, record.value, record.headers)


if __name__ == "__main__":
    main()
