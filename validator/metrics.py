"""What the online validator reports to Prometheus, and its health checks.

Records are counted per batch, not per record (one counter update per topic and poll), and lag is read from
the positions of the next records to process and the consumer's high watermarks after each poll, so measuring
costs the hot path nothing worth counting. The case figures follow the findings the validator publishes: a case
counts as checked once its verdict is published and as defective while its latest verdict has defects, so they
equal the report's ``cases_checked``, ``cases_defective`` and categories (a test scrapes them against it on the
real broker).
Counters count since the process started (Prometheus's ``rate`` copes with restarts); the case figures are
restored with the snapshot.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kafka import TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from schemas.categories import Category
from validator.engine import Engine

Signature = tuple[tuple[str, str, str, str], ...]
"""A published verdict: (rule, category, partner, kind) per defect, as ``validator.online`` keeps it."""

STALLED_AFTER = 120.0
"""Seconds without a poll after which the validator is reported not alive (``/healthz`` 503)."""
UNREADY_AFTER = 15.0
"""Seconds without a poll after which it is reported not ready (``/readyz`` 503), e.g. during an outage."""
STARTING = "starting: assigning partitions and loading the snapshot"
_DURATIONS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ValidatorMetrics:
    """The validator's metrics in a registry of their own (served by ``runtime.metrics.MetricsServer``)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.consumed = Counter("sigma_records_consumed", "Records consumed from the chain topics", ["topic"],
                                registry=r)
        self.processed = Counter("sigma_records_processed", "Records processed into a dossier", ["topic"],
                                 registry=r)
        self.dead_lettered = Counter("sigma_records_dead_lettered", "Records sent to the dead-letter topic",
                                     ["topic", "code"], registry=r)
        self.lag = Gauge("sigma_consumer_lag", "Records on the partition not yet consumed (high watermark minus "
                         "position, after the last poll)", ["topic", "partition"], registry=r)
        self.open_cases = Gauge("sigma_open_cases", "Cases held (not evicted) without a published verdict", registry=r)
        self.checked = Gauge("sigma_cases_checked", "Cases judged at their checkpoint", registry=r)
        self.defective = Gauge("sigma_cases_defective", "Checked cases whose latest verdict has a defect",
                               registry=r)
        self.by_category = Gauge("sigma_cases_defective_by_category", "Checked cases with a defect of the category",
                                 ["category"], registry=r)
        self.watermark = Gauge("sigma_event_time_watermark_seconds", "Latest recorded_at seen (Unix time)",
                               registry=r)
        self.snapshot = Histogram("sigma_snapshot_seconds", "From a snapshot's start until it is on disk",
                                  buckets=_DURATIONS, registry=r)
        self.commit = Histogram("sigma_commit_seconds", "From an offset commit's request until the group "
                                "coordinator's answer", buckets=_DURATIONS, registry=r)
        for category in Category:
            self.by_category.labels(category.value)
        self._batch_letters: Tally[str] = Tally()
        self._last_poll: float | None = None
        self._snapshot_started: float | None = None
        self._commit_started: float | None = None
        self._lag: dict[TopicPartition, Any] = {}

    def resumed(self, published: Iterable[Signature]) -> None:
        """Start the case figures from the verdicts a snapshot brought back."""
        for signature in published:
            self.judged(None, signature)

    def forgotten(self, published: Iterable[Signature]) -> None:
        """Take the verdicts of partitions handed to another member of the group out of the case figures."""
        for signature in published:
            self.checked.dec()
            if signature:
                self.defective.dec()
            for category in {d[1] for d in signature}:
                self.by_category.labels(category).dec()

    def dead_lettered_one(self, topic: str, code: str) -> None:
        """One record of ``topic`` was dead-lettered with ``code``."""
        self.dead_lettered.labels(topic, code).inc()
        self._batch_letters[topic] += 1

    def polled(self, processed: Mapping[str, int], positions: Mapping[TopicPartition, int],
               highwater: Callable[[TopicPartition], int | None], engine: Engine,
               published: Mapping[str, object]) -> None:
        """After each turn (records or not): records processed per topic, lag per partition (the records after
        ``positions``, the next to process, up to the high watermark each partition's last fetch gave),
        watermark, open cases."""
        for topic, count in processed.items():
            self.consumed.labels(topic).inc(count)
            self.processed.labels(topic).inc(count - self._batch_letters[topic])
        self._batch_letters.clear()
        for tp, position in positions.items():
            end = highwater(tp)
            if end is not None:
                gauge = self._lag.get(tp)
                if gauge is None:
                    gauge = self._lag[tp] = self.lag.labels(tp.topic, str(tp.partition))
                gauge.set(max(end - position, 0))
        state = engine.state
        if state.watermark is not None:
            self.watermark.set(state.watermark.timestamp())
        self.open_cases.set(len(state.dossiers) - len(published))
        self._last_poll = time.monotonic()

    def judged(self, before: Signature | None, after: Signature) -> None:
        """A verdict was published for a case whose previous one was ``before`` (None: its first)."""
        if before is None:
            self.checked.inc()
        elif before:
            self.defective.dec()
            for category in {d[1] for d in before}:
                self.by_category.labels(category).dec()
        if after:
            self.defective.inc()
        for category in {d[1] for d in after}:
            self.by_category.labels(category).inc()

    def withdrawn(self, before: Signature) -> None:
        """The published verdict ``before`` was withdrawn: its case is not checked after all."""
        self.checked.dec()
        if before:
            self.defective.dec()
        for category in {d[1] for d in before}:
            self.by_category.labels(category).dec()

    def snapshot_started(self) -> None:
        """A snapshot began (one at a time)."""
        self._snapshot_started = time.perf_counter()

    def snapshot_written(self) -> None:
        """The snapshot begun last is on disk."""
        if self._snapshot_started is not None:
            self.snapshot.observe(time.perf_counter() - self._snapshot_started)
            self._snapshot_started = None

    def commit_started(self) -> None:
        """An offset commit was requested."""
        self._commit_started = time.perf_counter()

    def commit_answered(self) -> None:
        """The commit requested last was answered (successfully or not)."""
        if self._commit_started is not None:
            self.commit.observe(time.perf_counter() - self._commit_started)
            self._commit_started = None

    def _quiet(self) -> float | None:
        """Seconds since the last poll; None before the first."""
        return None if self._last_poll is None else time.monotonic() - self._last_poll

    def alive(self) -> tuple[bool, str]:
        """``/healthz``: starting up, or polling; not when the loop has not polled for ``STALLED_AFTER``."""
        quiet = self._quiet()
        if quiet is None:
            return True, STARTING
        return (False, f"stalled: no poll for {quiet:.0f} s") if quiet > STALLED_AFTER else (True, "ok")

    def ready(self) -> tuple[bool, str]:
        """``/readyz``: consuming, with a poll in the last ``UNREADY_AFTER`` seconds."""
        quiet = self._quiet()
        if quiet is None:
            return False, STARTING
        if quiet > UNREADY_AFTER:
            return False, f"not consuming: no poll for {quiet:.0f} s (cluster unreachable?)"
        return True, "ok"

    def checks(self) -> dict[str, Any]:
        """The health paths and their checks, for the server."""
        return {"/healthz": self.alive, "/readyz": self.ready}
