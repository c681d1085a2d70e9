"""The validator over Kafka: consume every chain topic, dead-letter what cannot be processed, publish one
finding per checked case, and commit offsets only after a snapshot covers them.
"""

from __future__ import annotations

import heapq
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from consumers.bounded import chain_partitions
from consumers.dlq import DeadLetterWriter
from consumers.records import ConsumedRecord
from runtime import clients
from runtime.progress import Tracker
from runtime.settings import Settings
from schemas import topics
from validator import state as snapshots
from validator.engine import Engine
from validator.heap import LongLivedHeap
from validator.metrics import ValidatorMetrics
from validator.rules import Verdict, situation

log = structlog.get_logger(__name__)
DEFAULT_GROUP = "sigma-validator"


@dataclass
class OnlineOptions:
    """How to run: group, checkpoint, snapshot cadence and whether to stop at the end."""

    group: str = DEFAULT_GROUP
    checkpoint_hours: float = 48.0
    to_end: bool = False
    state_dir: Path | None = None
    snapshot_interval: float = 5.0
    publish_findings: bool = True
    on_snapshot: Callable[[Engine], None] | None = None
    metrics: ValidatorMetrics = field(default_factory=ValidatorMetrics)


def _finding_value(verdict: Verdict) -> bytes:
    return json.dumps({"case": verdict.case, "checkpoint": verdict.checkpoint.isoformat(),
                       "departure": verdict.departure.isoformat(), "complete": not verdict.defects,
                       "defects": [d.to_json() for d in verdict.defects]}, sort_keys=True).encode()


class OnlineValidator:
    """One validator process: all partitions of the chain topics assigned to it.

    Cases touched by a batch are judged right after it while the validator keeps up with the stream (low
    latency); while catching up on a backlog they are judged at most every ``EVALUATE_EVERY`` seconds, so a
    case receiving many events is not judged again for each of them.
    """

    MAX_RECORDS = 5000
    EVALUATE_EVERY = 0.5

    def __init__(self, settings: Settings, options: OnlineOptions) -> None:
        self.settings = settings
        self.options = options
        self.prefix = settings.topic_prefix
        state_dir = options.state_dir or settings.home / "validator"
        self.snapshot_file = snapshots.snapshot_path(state_dir, options.group, self.prefix)
        self.engine = Engine(checkpoint_hours=options.checkpoint_hours, topic_prefix=self.prefix)
        self.published: dict[str, tuple[tuple[str, str, str, str], ...]] = {}
        self._pending: list[tuple[datetime, str]] = []
        self._dirty: set[str] = set()
        self._last_eval = 0.0
        self.heap = LongLivedHeap()
        self.metrics = options.metrics

    def run(self, tracker: Tracker | None = None) -> Engine:
        """Consume until stopped (or, with ``to_end``, until caught up with the end offsets seen at start)."""
        consumer = clients.consumer(self.settings, group_id=self.options.group)
        # findings are few and each is awaited by someone: sent at once, not held up to 5 ms for a batch
        producer = clients.producer(self.settings, linger_ms=0)
        try:
            partitions = self._assign(consumer)
            end = consumer.end_offsets(partitions) if self.options.to_end else {}
            if end and tracker is not None:
                tracker.total(sum(end[tp] - consumer.position(tp) for tp in partitions))
            dlq = DeadLetterWriter(producer, self.prefix + topics.DLQ)
            findings_topic = self.prefix + topics.FINDINGS
            last_snapshot = time.monotonic()
            saving: snapshots.Saving | None = None
            while True:
                batch = consumer.poll(timeout_ms=200, max_records=self.MAX_RECORDS)
                dirty: set[str] = set()
                count = 0
                for records in batch.values():
                    for msg in records:
                        case, rejection = self.engine.process(msg)
                        if rejection is not None:
                            dlq.send(ConsumedRecord.from_kafka(msg), stage=rejection.stage, code=rejection.code,
                                     reason=rejection.reason, path=rejection.path)
                            self.metrics.dead_lettered_one(msg.topic, rejection.code)
                        elif case is not None:
                            dirty.add(case)
                        count += 1
                if count:
                    self.heap.settle()
                    if tracker is not None:
                        tracker.advance(count)
                self._dirty |= dirty
                self.metrics.polled(batch, consumer, self.engine, self.published)
                done = self.options.to_end and all(consumer.position(tp) >= end[tp] for tp in partitions)
                snapshot_due = done or time.monotonic() - last_snapshot >= self.options.snapshot_interval
                caught_up = count < self.MAX_RECORDS
                if snapshot_due or caught_up or time.monotonic() - self._last_eval >= self.EVALUATE_EVERY:
                    self._evaluate(self._dirty, producer, findings_topic)
                    self._dirty = set()
                    self._last_eval = time.monotonic()
                if saving is not None and saving.done(wait=done):
                    self.metrics.snapshot_written()
                    self._commit(consumer, saving)
                    saving = None
                if snapshot_due and saving is None:  # at the end, the one in flight was waited for above
                    saving = self._snapshot(consumer, producer, partitions)
                    last_snapshot = time.monotonic()
                    if done:
                        saving.done(wait=True)
                        self.metrics.snapshot_written()
                        self._commit(consumer, saving, wait=True)
                        return self.engine
        finally:
            self.heap.release()
            producer.close()
            consumer.close(autocommit=False)

    def _assign(self, consumer: Any) -> list[TopicPartition]:
        """Assign every partition of every chain topic; resume from the snapshot or start at the beginning."""
        partitions = chain_partitions(consumer, self.prefix)
        consumer.assign(partitions)
        snap = snapshots.load(self.snapshot_file)
        if snap is not None:
            self.engine.state = snap.state
            self.published = snap.published
            for tp in partitions:
                consumer.seek(tp, snap.offsets.get((tp.topic, tp.partition), 0))
            self._requeue_pending()
            self.metrics.resumed(self.published.values())
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
            heapq.heappush(self._pending, (s.checkpoint, case))

    def _evaluate(self, dirty: set[str], producer: Any, findings_topic: str) -> None:
        """Publish findings for touched cases past their checkpoint and for cases the watermark just reached."""
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
            if verdict is None:
                continue
            signature = tuple((d.rule, d.category, d.partner, d.kind) for d in verdict.defects)
            if self.published.get(case) == signature:
                continue
            self.metrics.judged(self.published.get(case), signature)
            self.published[case] = signature
            if self.options.publish_findings:
                producer.send(findings_topic, key=case.encode(), value=_finding_value(verdict),
                              headers=[("content-type", b"application/json")])

    def _snapshot(self, consumer: Any, producer: Any, partitions: list[TopicPartition]) -> snapshots.Saving:
        """Make findings and dead letters durable, then start saving the state with the offsets it covers."""
        self.metrics.snapshot_started()
        started = time.perf_counter()
        producer.flush()
        flushed = time.perf_counter()
        offsets = {(tp.topic, tp.partition): consumer.position(tp) for tp in partitions}
        saving = snapshots.Saving(self.snapshot_file, snapshots.Snapshot(
            self.options.group, self.prefix, offsets, self.engine.state, self.published))
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
            consumer.commit(offsets)
            self.metrics.commit_answered()
        else:
            consumer.commit_async(offsets, callback=self._commit_done)
        if self.options.on_snapshot is not None:
            self.options.on_snapshot(self.engine)

    def _commit_done(self, offsets: Any, result: Any) -> None:
        """kafka-python calls this from ``poll`` with the response, or the exception when the commit failed."""
        self.metrics.commit_answered()
        if isinstance(result, Exception):
            log.warning("offset commit failed; the next snapshot commits again", error=type(result).__name__)
