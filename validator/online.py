"""The validator over Kafka: consume every chain topic, dead-letter what cannot be processed, publish one
finding per checked case, and commit offsets only after a snapshot covers them.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import structlog
from kafka import TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from consumers.bounded import chain_partitions
from consumers.confirmed import ConfirmedSender
from consumers.dlq import dead_letter
from consumers.records import ConsumedRecord
from runtime import __version__, clients, interrupt
from runtime.errors import MissingTopicError, SigmaError
from runtime.outage import Outage, retriable
from runtime.progress import Tracker
from runtime.settings import EventClock, Settings
from schemas import findings, topics
from schemas.timing import DEFAULT_ALLOWED_LATENESS_HOURS
from validator import catchup, revision, watermark
from validator import state as snapshots
from validator.engine import Engine, Rejection
from validator.heap import LongLivedHeap
from validator.metrics import ValidatorMetrics
from validator.rules import Verdict, latest_booking, situation

log = structlog.get_logger(__name__)
DEFAULT_GROUP = "sigma-validator"
DEFAULT_IDLE_TIMEOUT = 1.0
"""Seconds a caught-up partition may deliver nothing before it stops holding the watermark back: long enough
for a record in flight to arrive, short enough that a quiet partner delays findings by no more than that."""


@dataclass
class OnlineOptions:
    """How to run: group, checkpoint, snapshot cadence and whether to stop at the end."""

    group: str = DEFAULT_GROUP
    checkpoint_hours: float = 48.0
    to_end: bool = False
    state_dir: Path | None = None
    snapshot_interval: float = 5.0
    publish_findings: bool = True
    allowed_lateness_hours: float = DEFAULT_ALLOWED_LATENESS_HOURS
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    event_clock: EventClock = "stream"
    on_snapshot: Callable[[Engine], None] | None = None
    metrics: ValidatorMetrics = field(default_factory=ValidatorMetrics)


def _finding_value(verdict: Verdict, *, watermark: datetime, revision: int = 0, reason: str | None = None,
                   changes: list[dict[str, Any]] | None = None) -> bytes:
    """A finding as published: the verdict, which revision of it this is, and why it was revised.

    Built through the message book's model, so a field it does not describe cannot be published.
    """
    return findings.encode(findings.ValidationFinding.model_validate({
        "case": verdict.case, "checkpoint": verdict.checkpoint, "departure": verdict.departure,
        "complete": not verdict.defects, "defects": [d.to_json() for d in verdict.defects], "revision": revision,
        "watermark": watermark, "reason": reason, "changes": changes or [], "validator_version": __version__}))


class OnlineValidator:
    """One validator process: all partitions of the chain topics assigned to it.

    Cases touched by a batch are judged right after it while the validator keeps up with the stream (low
    latency); while catching up on a backlog they are judged at most every ``EVALUATE_EVERY`` seconds, so a
    case receiving many events is not judged again for each of them.
    """

    MAX_RECORDS = 5000
    EVALUATE_EVERY = 0.5
    BACKLOG_BOUND = 40_000
    """Records that may wait their turn (``validator.catchup``): more than one fetch of every chain partition
    brings (about 33,000 of the simulator's records at ``FETCH_BYTES``) and a poll, so that only a backlog far
    out of step fills it."""
    PATIENCE = 5.0
    """Seconds a partition run dry though not at its end may hold the others back (``validator.catchup``)."""
    FETCH_BYTES = 256 * 1024
    """Bytes fetched per partition at a time (Kafka's default: 1 MiB). Every partition's first chunk must have
    arrived before anything is processed, and each waits whole for its turn: with the default the backlog held
    about 55,000 records at the start of a 10,000-case backlog (45 MB more memory than before), with a quarter
    of it 33,000 (no more memory than before); smaller chunks made reading slower (more fetches)."""

    def __init__(self, settings: Settings, options: OnlineOptions) -> None:
        self.settings = settings
        self.options = options
        self.prefix = settings.topic_prefix
        state_dir = options.state_dir or settings.home / "validator"
        self.snapshot_file = snapshots.snapshot_path(state_dir, options.group, self.prefix)
        self.engine = Engine(checkpoint_hours=options.checkpoint_hours, topic_prefix=self.prefix,
                             eviction_grace_hours=settings.eviction_grace_hours or None,
                             allowed_lateness_hours=options.allowed_lateness_hours, event_clock=options.event_clock)
        self.idleness = watermark.Idleness(options.idle_timeout, time.monotonic())
        self.backlog: catchup.Backlog[Any]
        self.published: dict[str, revision.Decided] = {}
        self._pending: list[tuple[datetime, str]] = []
        self._dirty: set[str] = set()
        self._last_eval = 0.0
        self.heap = LongLivedHeap()
        self.metrics = options.metrics
        self.outage = Outage(settings)
        self._commit_result: Any = None
        self.sender: ConfirmedSender

    def run(self, tracker: Tracker | None = None) -> Engine:
        """Consume until stopped (or, with ``to_end``, until caught up with the end offsets seen at start).

        Kafka errors never escape as tracebacks: an outage is waited out (``runtime.outage``), a refused
        dead letter or finding stops the run before its offsets are committed, anything else is one error.
        """
        # read_committed: records of aborted transactions never happened, so they are neither judged nor counted
        consumer = clients.consumer(self.settings, group_id=self.options.group, isolation_level="read_committed",
                                    max_partition_fetch_bytes=self.FETCH_BYTES)
        # findings are few and each is awaited by someone: sent at once, not held up to 5 ms for a batch;
        # never auto-created: a deleted DLQ would come back without its configs (retention), so it is an error
        producer = clients.producer(self.settings, linger_ms=0, allow_auto_create_topics=False,
                                    **clients.patient(self.settings))
        try:
            # Ctrl-C and SIGTERM stop the loop between turns: raised wherever the process is, one was once
            # swallowed by the at-fork handlers of a snapshot's fork, and the validator never stopped
            with interrupt.deferred() as stop:
                return self._run(consumer, producer, tracker, stop)
        except KafkaError as exc:
            raise SigmaError(f"Kafka failed the validator: {type(exc).__name__}: {exc}"[:300],
                             fix="run again (it resumes at the last snapshot); report it if it persists") from exc
        finally:
            self.heap.release()
            _close(producer.close, timeout=0)
            _close(consumer.close, autocommit=False, timeout_ms=CLOSE_TIMEOUT_MS)

    def _run(self, consumer: Any, producer: Any, tracker: Tracker | None, stop: interrupt.StopRequest) -> Engine:
        outage = self.outage
        # records wait there only as long as the consumer that fetched them: a new one starts at the snapshot
        self.backlog = catchup.Backlog(self.BACKLOG_BOUND, self.PATIENCE, self.engine.lateness)
        partitions = outage.call(lambda: self._assign(consumer), "assigning the chain topics")
        end = {}
        if self.options.to_end:
            end = outage.call(partial(consumer.end_offsets, partitions), "reading end offsets")
            if tracker is not None:
                tracker.total(sum(end[tp] - at for tp, at in self._positions(consumer, partitions).items()))
        dlq_topic = self.prefix + topics.DLQ
        outputs = [dlq_topic] + ([self.prefix + topics.FINDINGS] if self.options.publish_findings else [])
        for name in outputs:
            if not outage.call(partial(consumer.partitions_for_topic, name), f"looking up {name}"):
                raise MissingTopicError(name, consumer.topics(), [t.name for t in topics.ALL_TOPICS])
        self.sender = ConfirmedSender(producer, outage, partial(_exists, consumer))
        last_snapshot = time.monotonic()
        saving: snapshots.Saving | None = None
        count = 0
        while True:
            backlog = self.backlog
            batch: dict[TopicPartition, list[Any]] = {}
            # records the limit left waiting are processed without waiting for more, which are fetched meanwhile
            # (kafka-python fetches again once what it fetched last is handed out) unless the backlog is full
            wait = 200 if count < self.MAX_RECORDS else 0
            if wait or len(backlog) < backlog.bound:
                batch = outage.call(partial(consumer.poll, timeout_ms=wait, max_records=self.MAX_RECORDS),
                                    "reading the chain topics", answered=False)
            self._heartbeat()
            stop.raise_if_requested()  # what waits in the backlog is in no snapshot: read again after a restart
            backlog.add(batch)
            self.idleness.delivered(backlog.waiting(), time.monotonic())
            fetched = self._positions(consumer, partitions)  # once per turn
            unfinished = {tp for tp in partitions if not _at_end(consumer, tp, fetched[tp], end)}
            dirty: set[str] = set()
            counts: Counter[str] = Counter()
            for msg in backlog.take(self.engine.state.progress, unfinished, time.monotonic(), self.MAX_RECORDS):
                case, rejection = self.engine.process(msg)
                if rejection is not None:
                    self._dead_letter(msg, rejection, dlq_topic)
                    self.metrics.dead_lettered_one(msg.topic, rejection.code)
                elif case is not None:
                    dirty.add(case)
                counts[msg.topic] += 1
            count = counts.total()
            if count:
                self.heap.settle()
                if tracker is not None:
                    tracker.advance(count)
            self._dirty |= dirty
            positions = {tp: backlog.next_offset(tp, fetched[tp]) for tp in partitions}
            self.metrics.polled(counts, positions, consumer.highwater, self.engine, self.published)
            done = self.options.to_end and all(positions[tp] >= end[tp] for tp in partitions)
            self._advance(consumer, positions, end, done)
            snapshot_due = done or time.monotonic() - last_snapshot >= self.options.snapshot_interval
            caught_up = count < self.MAX_RECORDS and not backlog
            if snapshot_due or caught_up or time.monotonic() - self._last_eval >= self.EVALUATE_EVERY:
                self._evaluate(self._dirty)
                self._dirty = set()
                self._last_eval = time.monotonic()
            if saving is not None and saving.done(wait=done):
                self.metrics.snapshot_written()
                self._commit(consumer, saving)
                saving = None
            if snapshot_due and saving is None:  # at the end, the one in flight was waited for above
                self._evict(consumer, positions)
                saving = self._snapshot(positions, partitions)
                last_snapshot = time.monotonic()
                if done:
                    saving.done(wait=True)
                    self.metrics.snapshot_written()
                    self._commit(consumer, saving, wait=True)
                    return self.engine

    def _advance(self, consumer: Any, positions: dict[TopicPartition, int], end: dict[TopicPartition, int],
                 done: bool) -> None:
        """Move the watermark (``validator.watermark``). At the end of a ``--to-end`` run nothing holds it back:
        every record is read."""
        if done:
            self.engine.advance(())
            return
        caught_up = {(tp.topic, tp.partition) for tp, at in positions.items() if _at_end(consumer, tp, at, end)}
        holding = self.idleness.holding(((tp.topic, tp.partition) for tp in positions), caught_up, time.monotonic())
        self.engine.advance(holding)

    def _evict(self, consumer: Any, positions: dict[TopicPartition, int]) -> None:
        """Drop closed cases a grace period old (their findings are published: ``_evaluate`` ran just before).

        A partition at its end (position at the last high watermark fetched) holds back nothing: no event of
        any case waits there."""
        pending = {(tp.topic, tp.partition) for tp, at in positions.items()
                   if (highwater := consumer.highwater(tp)) is None or at < highwater}
        for case in self.engine.evict(pending):
            self.published.pop(case, None)

    def _positions(self, consumer: Any, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The consumer's position in each partition, the next offset it hands out (records before it may still
        wait in the backlog), all for the cost of one ``position`` call (``runtime.clients.positions``)."""
        positions: dict[TopicPartition, int] = self.outage.call(
            partial(clients.positions, consumer, partitions), "reading positions", answered=False)
        return positions

    def _commit_done(self, offsets: Any, result: Any) -> None:
        """kafka-python calls this from ``poll`` with the response, or the exception when the commit failed.

        The periodic commits are how an idle validator notices an outage (``poll`` itself just returns nothing
        while the cluster is away): the loop hands their outcome to the outage tracker, which logs it once and
        gives up after the give-up time."""
        self.metrics.commit_answered()
        self._commit_result = result

    def _heartbeat(self) -> None:
        """Account the last asynchronous commit's outcome to the outage (a refusal only warns: the next snapshot
        commits again, and a restart seeks to the snapshot's own offsets)."""
        result, self._commit_result = self._commit_result, None
        if result is None:
            return
        if not isinstance(result, Exception):
            self.outage.recovered()
        elif retriable(result):
            self.outage.failed(result, "committing offsets")
        else:
            log.warning("offset commit failed; the next snapshot commits again", error=type(result).__name__)

    def _dead_letter(self, msg: Any, rejection: Rejection, topic: str) -> None:
        """Send the record's dead letter (cut to fit, ``consumers.dlq``); confirmed before the next commit."""
        letter = dead_letter(ConsumedRecord.from_kafka(msg), stage=rejection.stage, code=rejection.code,
                             reason=rejection.reason, path=rejection.path)
        self.sender.send(topic, key=letter.key, value=letter.value, headers=letter.headers,
                         timestamp_ms=letter.timestamp_ms,
                         origin=f"the dead letter of {msg.topic}/{msg.partition}@{msg.offset}")

    def _assign(self, consumer: Any) -> list[TopicPartition]:
        """Assign every partition of every chain topic; resume from the snapshot or start at the beginning."""
        partitions = chain_partitions(consumer, self.prefix)
        consumer.assign(partitions)
        self.engine.partitions.update(snapshots.partition_counts(partitions))  # the cluster's, not the plan's
        snap = snapshots.load(self.snapshot_file, group=self.options.group, prefix=self.prefix,
                              topics=snapshots.partition_counts(partitions))
        if snap is not None:
            self.engine.state = snap.state
            self.engine.reschedule()
            self.published = snap.published
            for tp in partitions:
                consumer.seek(tp, snap.offsets.get((tp.topic, tp.partition), 0))
            self._requeue_pending()
            self.metrics.resumed([*(d.signature for d in self.published.values()),
                                  *(revision.signature(v.defects) for v in snap.state.evicted.values())])
            log.info("resumed from snapshot", group=self.options.group, records=snap.state.counters.consumed)
        else:
            committed = [tp for tp in partitions if consumer.committed(tp) is not None]
            if committed:
                log.warning("group has committed offsets but no snapshot here; rebuilding state from the start",
                            group=self.options.group, snapshot=str(self.snapshot_file))
            consumer.seek_to_beginning(*partitions)
        return partitions

    def _requeue_pending(self) -> None:
        for case in self.engine.state.dossiers:
            if case not in self.published:
                self._queue(case)

    def _queue(self, case: str) -> None:
        dossier = self.engine.state.dossiers[case]
        s = situation(dossier, self.engine.checkpoint_before)
        if s is not None:
            heapq.heappush(self._pending, (self.engine.decision_time(s), case))

    def _evaluate(self, dirty: set[str]) -> None:
        """Publish findings for touched cases past their decision time and for cases the watermark just decided."""
        due = set()
        for case in dirty:
            if self.engine.verdict(case) is not None:
                due.add(case)
            else:
                self._queue(case)
        watermark = self.engine.state.watermark
        while self._pending and watermark is not None and self._pending[0][0] <= watermark:
            due.add(heapq.heappop(self._pending)[1])
        for case in sorted(due):
            verdict = self.engine.verdict(case)
            if verdict is not None:
                self._decide(verdict)

    def _decide(self, verdict: Verdict) -> None:
        """Publish a decided case's first finding (or the first for a new departure), or a new revision when
        arrivals since changed it."""
        case, state = verdict.case, self.engine.state
        dossier = state.dossiers[case]
        defects = revision.signature(verdict.defects)
        before = self.published.get(case)
        if before is None or revision.new_departure(before, latest_booking(dossier), self.engine.lateness):
            self.published[case] = revision.Decided(0, defects, dossier.count, verdict.checkpoint)
            self.metrics.judged(None, defects)
            self._publish(verdict, 0)
            return
        news = revision.arrivals(dossier, before.facts, self.engine.wall)
        if (defects, verdict.checkpoint) == (before.signature, before.checkpoint):
            self.published[case] = revision.Decided(before.revision, defects, dossier.count, before.checkpoint)
            return
        number = before.revision + 1
        self.metrics.judged(before.signature, defects)
        self.published[case] = revision.Decided(number, defects, dossier.count, verdict.checkpoint)
        assert state.watermark is not None  # the case is decided
        self._publish(verdict, number, reason=revision.reason(news, before.checkpoint, state.watermark),
                      changes=revision.changes(before.signature, defects))

    def _publish(self, verdict: Verdict, number: int, reason: str | None = None,
                 changes: list[dict[str, Any]] | None = None) -> None:
        if self.options.publish_findings:
            assert self.engine.state.watermark is not None  # a case is decided by the watermark passing it
            value = _finding_value(verdict, revision=number, watermark=self.engine.state.watermark, reason=reason,
                                   changes=changes)
            self.sender.send(self.prefix + topics.FINDINGS, key=verdict.case.encode(), value=value,
                             headers=[("content-type", findings.CONTENT_TYPE.encode())],
                             origin=f"the finding of {verdict.case}")

    def _snapshot(self, positions: dict[TopicPartition, int], partitions: list[TopicPartition]) -> snapshots.Saving:
        """Make findings and dead letters durable (each one acknowledged, or the run stops here, before any
        offset past it is saved), then start saving the state with the offsets it covers: the next record to
        process of each partition, never past one that only waits in the backlog."""
        self.metrics.snapshot_started()
        started = time.perf_counter()
        self.sender.confirm()
        flushed = time.perf_counter()
        offsets = {(tp.topic, tp.partition): at for tp, at in positions.items()}
        saving = snapshots.Saving(self.snapshot_file, snapshots.Snapshot(
            self.options.group, self.prefix, snapshots.partition_counts(partitions), offsets, self.engine.state,
            self.published))
        log.debug("snapshot started", flush_ms=round((flushed - started) * 1000, 1),
                  fork_ms=round((time.perf_counter() - flushed) * 1000, 1), cases=len(self.engine.state.dossiers))
        return saving

    def _commit(self, consumer: Any, saving: snapshots.Saving, wait: bool = False) -> None:
        """The snapshot is on disk: now, and only now, commit the offsets it covers.

        Asynchronously while running (a restart seeks to the snapshot's own offsets; the group's committed
        offsets tell lag monitors how far the validator is, so a lost commit costs nothing), synchronously
        at the end of a ``--to-end`` run.
        """
        offsets = {TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)
                   for (topic, partition), offset in saving.offsets.items()}
        self.metrics.commit_started()
        if wait:
            self.outage.call(lambda: consumer.commit(offsets), "committing offsets")
            self.metrics.commit_answered()
        else:
            self.outage.call(lambda: consumer.commit_async(offsets, callback=self._commit_done),
                             "committing offsets", answered=False)
        if self.options.on_snapshot is not None:
            self.options.on_snapshot(self.engine)


def _at_end(consumer: Any, tp: TopicPartition, at: int, end: dict[TopicPartition, int]) -> bool:
    """Whether ``at`` has reached the partition's last high watermark fetched (or its end offset at the start,
    before any fetch)."""
    highwater = consumer.highwater(tp)
    if highwater is None:
        highwater = end.get(tp)
    return highwater is not None and at >= highwater


TOPIC_CHECK_MS = 5000
"""How long asking whether a topic exists may wait (a healthy cluster answers within milliseconds)."""


def _exists(consumer: Any, topic: str) -> bool | None:
    """Whether ``topic`` exists, asking the cluster; None when it does not answer within ``TOPIC_CHECK_MS``."""
    try:
        return topic in clients.topics(consumer, TOPIC_CHECK_MS)
    except (KafkaError, OSError):
        return None


CLOSE_TIMEOUT_MS = 1000
"""How long closing the consumer may wait for commits in flight (kafka-python waits up to its request timeout,
30 s): the snapshot on disk is where a restart resumes, so a lost commit costs nothing, and a stopped validator
should be gone at once."""


def _close(close: Callable[..., None], **how: Any) -> None:
    """Close a client on the way out without hiding why we are leaving: a producer closed with sends pending
    (Ctrl-C mid-run, or a cluster given up on) raises from its flush; what it still held was never committed,
    so it is resent after a restart, and the reason the run ends is the one to report."""
    try:
        close(**how)
    except KafkaError as exc:
        log.debug("client closed with work pending", error=type(exc).__name__)
