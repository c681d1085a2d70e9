"""``sigma simulate`` end to end: generate and encode in one process, send from another, account for all.

Why two processes: building, validating and encoding an event costs about as much CPU as kafka-python's
``send()``; with the GIL they cannot overlap in one process. A generator process (the simulation, the
codec, the envelope, the truth file) feeds batches of encoded records through a bounded queue to this
process, which only paces and sends. Nothing is pre-encoded that a real run would not encode: this *is*
the run. The queue (a few batches deep) is the back-pressure and rides out hiccups on either side; a
failure on either side ends the run with an error. Measured on 2 cores, 10,000 cases: one process
reaches about half the rate of a bare producer sending the same records; two come close to it.

The truth file is written to a temporary file beside its destination and renamed into place only when
every record has been delivered (``runtime.outputs``), so a failed run never leaves a truth file that
describes a stream that is not there, and never replaces a link, a device or a folder.

The generator also decodes what it encoded, as a consumer would, and measures it (:mod:`producers.measure`):
the run's fidelity table (:mod:`producers.fidelity`) describes the records sent.
"""

from __future__ import annotations

import gc
import json
import marshal
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path
from queue import Empty
from typing import IO, Any

from pydantic import ValidationError

from producers import fidelity
from producers.delivery import LateDeliveries, published
from producers.fidelity import Figure
from producers.lifecycle import CasePlan
from producers.measure import SUBJECTS, StreamMeasure, Tallies
from producers.pacing import Pacer
from producers.profile import Profile
from producers.publisher import DeliveryReport, Encoder, Outgoing, Publisher
from producers.simulation import Simulation
from runtime import clients, outputs
from runtime.errors import MissingTopicError, SigmaError
from runtime.outage import Outage
from runtime.progress import Tracker
from runtime.settings import Settings
from schemas.casekey import case_key
from schemas.codec import Deserializer
from schemas.context import SerializationContext
from schemas.events import CaseClosed
from schemas.timing import DEFAULT_ALLOWED_LATENESS_HOURS
from schemas.topics import CHAIN_TOPICS

BATCH = 1000
"""Records per queue message: large enough to make the transfer cheap per record, small enough to keep the
sender busy from the start."""

FAST_LINGER_MS = 20
"""Linger for as-fast-as-possible runs: measured best on 2 cores (5 ms: more, smaller batches cost the
sender and the broker CPU the generator needs; 50 ms: the sender stalls)."""

AHEAD = 8
"""Batches the generator may run ahead of the sender, to ride out hiccups on either side."""

Batch = list[tuple[int, Outgoing]]
Wire = tuple[int, str, bytes, bytes, list[tuple[str, bytes]], str, str]
"""A batch entry as it crosses the pipe: simulated seconds, then the fields of :class:`Outgoing`."""


@dataclass(frozen=True)
class SimulationRun:
    """What to simulate and where the ground truth goes."""

    cases: int
    seed: int
    profile: Profile
    topic_prefix: str
    case_key_secret: bytes
    truth: Path | None = None
    speed: float | None = None
    allowed_lateness_hours: float = DEFAULT_ALLOWED_LATENESS_HOURS
    """The validator's allowed lateness the truth's late deliveries are counted for."""


@dataclass(frozen=True)
class RunSummary:
    """The outcome of a run: counts per partner and type, the rate, and the fidelity table."""

    run: SimulationRun
    report: DeliveryReport
    seconds: float
    fidelity: list[Figure]
    """Every figure the simulator claims, measured from the records sent."""
    late_deliveries: dict[str, int]
    """Per partner: records a validator with the run's allowed lateness counts as delivered late."""

    def to_json(self) -> dict[str, Any]:
        """The ``--summary-json`` document."""
        report = self.report
        return {
            "cases": self.run.cases,
            "seed": self.run.seed,
            "profile": self.run.profile.name,
            "topic_prefix": self.run.topic_prefix,
            "events": report.sent,
            "delivered": report.delivered,
            "failed": report.failed,
            "seconds": round(self.seconds, 3),
            "events_per_second": round(report.sent / self.seconds, 1) if self.seconds > 0 else None,
            "by_partner": dict(sorted(report.by_partner().items())),
            "by_type": dict(sorted(report.by_type().items())),
            "by_partner_type": [{"partner": p, "type": t, "events": n}
                                for (p, t), n in sorted(report.by_partner_type.items())],
            "fidelity": [figure.to_json() for figure in self.fidelity],
            "publication_delay_hours": {p.value: h for p, h in sorted(self.run.profile.publication_delays.items())},
            "publication_batch_hours": {p.value: h for p, h in sorted(self.run.profile.publication_batches.items())},
            "office_delay_hours": {p.value: h for p, h in sorted(self.run.profile.office_delays.items())},
            "late_deliveries": {"allowed_lateness_hours": self.run.allowed_lateness_hours,
                                "by_partner": dict(sorted(self.late_deliveries.items()))},
        }


def require_topics(settings: Settings, prefix: str) -> None:
    """Fail fast, with the fix, when the cluster is unreachable or a chain topic does not exist (a broker
    restarting meanwhile is waited out, as the run itself waits it out)."""
    admin = clients.admin(settings)
    try:
        existing = set(Outage(settings).call(admin.list_topics, "listing the topics"))
    finally:
        admin.close()
    missing = [prefix + t.name for t in CHAIN_TOPICS if prefix + t.name not in existing]
    if missing:
        raise MissingTopicError(missing[0], existing, [t.name for t in CHAIN_TOPICS])


def simulate(settings: Settings, run: SimulationRun, tracker: Tracker) -> RunSummary:
    """Run the simulation into Kafka; raise :class:`SigmaError` unless every record was delivered.

    The chain topics must exist (:func:`require_topics` says so with the fix, before any work starts).
    """
    partial_truth = outputs.temporary(run.truth, "the ground truth") if run.truth is not None else None
    tallies: Tallies = {}
    late: dict[str, int] = {}
    started = time.monotonic()
    pacer = Pacer(run.speed)
    context: Any = multiprocessing.get_context(_start_method())
    queue: Queue[bytes] = context.Queue(maxsize=AHEAD)
    worker: BaseProcess = context.Process(target=_generate, args=(run, partial_truth, queue), daemon=True,
                             name="sigma-simulate-generator")
    worker.start()
    gc.freeze()  # what exists now lives for the whole run: spare the collector from scanning it again and again
    try:
        with Publisher(settings, topic_prefix=run.topic_prefix, **producer_tuning(run.speed)) as publisher:
            for batch in _batches(queue, worker, tallies, late):
                for at, topic, key, value, headers, partner, subject in batch:
                    pacer.wait(at)
                    publisher.send(Outgoing(topic, key, value, headers, partner, subject))
                    if subject == CaseClosed.subject:
                        tracker.advance()
            report = publisher.flush()
        report.raise_for_failures()
        worker.join(timeout=10)
    except BaseException:
        if partial_truth is not None:
            outputs.discard(partial_truth)
        raise
    finally:
        gc.unfreeze()
        if worker.is_alive():
            worker.terminate()
            worker.join(timeout=10)
        queue.close()
    if run.truth is not None and partial_truth is not None:
        outputs.install(partial_truth, run.truth, "the ground truth")
    return RunSummary(run, report, time.monotonic() - started, fidelity.table(tallies, run.profile), late)


def producer_tuning(speed: float | None) -> dict[str, Any]:
    """Producer settings on top of ``runtime.clients``' defaults: bigger batches when nobody waits for
    an event (as fast as possible), the low-latency defaults when paced."""
    return {"linger_ms": FAST_LINGER_MS} if speed is None else {}


def _start_method() -> str:
    """``fork`` when this process runs no other thread (safe, and the generator starts at once, sharing the
    imports); ``spawn`` otherwise (the caller's main module must then be import-safe)."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _batches(queue: Queue[bytes], worker: BaseProcess, tallies: Tallies,
             late: dict[str, int]) -> Iterator[list[Wire]]:
    """Batches from the generator until it sends the tallies and late deliveries of the stream (into
    ``tallies`` and ``late``); its failure becomes ours."""
    while True:
        try:
            message = marshal.loads(queue.get(timeout=1.0))
        except Empty:
            if worker.is_alive():
                continue
            raise SigmaError("the event generator stopped unexpectedly",
                             fix="run again; report a bug if it persists") from None
        if isinstance(message, dict):
            tallies.update(message["tallies"])
            late.update(message["late_deliveries"])
            return
        if isinstance(message, str):
            raise SigmaError(f"the event generator failed: {message}", fix="report a bug with the command line")
        yield message


def _generate(run: SimulationRun, truth: Path | None, out: Queue[bytes]) -> None:
    """Generator process: simulate, encode, measure and ship batches; closing with the tallies and late
    deliveries of what it sent (a dict), or the error's text.

    Batches travel as marshal data (plain tuples of str, bytes and ints: the cheapest to load). The
    process holds tens of thousands of planned events and creates no reference cycles worth chasing,
    so the collector runs rarely here.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the sender's to handle: it stops this process
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        measure, late = StreamMeasure(), LateDeliveries(timedelta(hours=run.allowed_lateness_hours))
        for batch in generate(run, truth, measure, late):
            out.put(marshal.dumps([(at, *record) for at, record in batch]))
        out.put(marshal.dumps({"tallies": measure.tallies(), "late_deliveries": dict(late.counts)}))
    except Exception as exc:  # crossing a process boundary: the sender re-raises it as a SigmaError
        out.put(marshal.dumps(_describe(exc)))
    finally:
        out.close()
        out.join_thread()


def _describe(exc: Exception) -> str:
    """One line about a failure, without input values (a validation error could quote personal data)."""
    if isinstance(exc, ValidationError):
        first = exc.errors(include_input=False)[0]
        return f"ValidationError: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return f"{type(exc).__name__}: {exc}"[:300]


def generate(run: SimulationRun, truth: Path | None, measure: StreamMeasure | None = None,
             late: LateDeliveries | None = None) -> Iterator[Batch]:
    """The encoded stream in batches of ``(simulated seconds published, record)``, in publication order
    (the profile's publication delays applied); writes the truth as it goes.

    With ``measure``, every record it counts is decoded back from its encoded value, as a consumer would,
    and measured: the fidelity table describes the bytes sent, not the events before encoding. With
    ``late``, the late deliveries are counted (:mod:`producers.delivery`).
    """
    simulation = Simulation(cases=run.cases, seed=run.seed, profile=run.profile,
                            case_key=partial(case_key, secret=run.case_key_secret))
    encode = Encoder(run.topic_prefix)
    decode = Deserializer()
    partitions = {run.topic_prefix + t.name: t.partitions for t in CHAIN_TOPICS}
    sink: IO[str] | None
    with truth.open("w", encoding="utf-8") if truth is not None else nullcontext() as sink:
        write = partial(_write_verdict, sink) if sink is not None else None
        on_case = _both(write, late.case if late is not None else None)
        batch: Batch = []
        for at, event in published(simulation.events(on_case), run.profile.delay_seconds(),
                                   run.profile.batch_seconds(), run.profile.office_seconds()):
            out = encode(event)
            if late is not None:
                late.sent(event, out.topic, out.key, partitions[out.topic])
            batch.append((at, out))
            if measure is not None and out.subject in SUBJECTS:
                measure.add(decode(out.value, SerializationContext(out.topic, out.headers)))
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def measured(run: SimulationRun) -> Tallies:
    """The tallies of the stream ``run`` would send, generated here without a broker (docs and tests)."""
    tally = StreamMeasure()
    for _ in generate(run, None, tally):
        pass
    return tally.tallies()


def _both(first: Callable[[CasePlan], None] | None,
          second: Callable[[CasePlan], None] | None) -> Callable[[CasePlan], None] | None:
    """One callback calling both given (None when neither is)."""
    if first is None or second is None:
        return first or second

    def both(plan: CasePlan) -> None:
        first(plan)
        second(plan)
    return both


def _write_verdict(sink: IO[str], plan: CasePlan) -> None:
    sink.write(json.dumps(plan.verdict.to_json(), separators=(",", ":")) + "\n")
