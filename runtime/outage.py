"""Ride out a cluster outage: retry a Kafka call with backoff, say so once, give up after a set time.

Why: a rolling restart of a cluster, or one broker restarted, makes calls fail for seconds to minutes
(connection refused, a coordinator or leader that moved). A long-running command must wait for the
cluster and go on with an identical result, not end with a traceback; an outage that outlasts
``SIGMA_OUTAGE_GIVE_UP`` seconds ends it with one clear error. Only retriable failures are waited out
(kafka-python marks them ``retriable``; socket errors too): a refusal is an answer, and its caller decides.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import structlog
from kafka.errors import KafkaError

from runtime.errors import SigmaError
from runtime.settings import Settings

log = structlog.get_logger(__name__)
T = TypeVar("T")

FIRST_BACKOFF = 0.2
MAX_BACKOFF = 5.0
QUIET = 2.0
"""Seconds without records after which a :class:`Poller` asks the cluster whether it is still there."""
PROBE_TIMEOUT_MS = 2000


def retriable(exc: BaseException) -> bool:
    """Whether a failure is one a waiting caller may retry (the cluster, not the request, is the problem)."""
    return isinstance(exc, OSError) or (isinstance(exc, KafkaError) and bool(exc.retriable))


class Outage:
    """Retries calls through an outage, for one command. The outage lasts from a call's first failure to the
    next call that succeeds, across calls, so give-up counts the whole outage, not one call's share."""

    def __init__(self, settings: Settings, *, give_up: float | None = None) -> None:
        self.bootstrap = settings.bootstrap
        self.give_up = settings.outage_give_up if give_up is None else give_up
        self.since: float | None = None
        self.outages = 0
        self._backoff = FIRST_BACKOFF

    def call(self, fn: Callable[[], T], doing: str, *, answered: bool = True) -> T:
        """``fn()``, retried with backoff while it fails retriably; raises :class:`SigmaError` on give-up.

        ``answered=False`` for calls that succeed without the cluster (kafka-python's ``poll`` returns nothing
        while the cluster is away; a position is often known locally): their success does not end an outage.
        """
        while True:
            try:
                result = fn()
            except Exception as exc:
                if not retriable(exc):
                    raise
                self.failed(exc, doing)
                time.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, MAX_BACKOFF)
                continue
            if answered:
                self.recovered()
            return result

    def failed(self, exc: BaseException, doing: str) -> None:
        """Note a retriable failure: the first of an outage is logged, one past the give-up time raises."""
        now = time.monotonic()
        if self.since is None:
            self.since = now
            self.outages += 1
            log.warning("Kafka not answering; retrying until it is back", bootstrap=self.bootstrap, doing=doing,
                        error=type(exc).__name__, give_up_s=self.give_up)
        elif now - self.since >= self.give_up:
            raise SigmaError(f"Kafka at {self.bootstrap} did not answer for {now - self.since:.0f} s while {doing} "
                             f"({type(exc).__name__})",
                             fix="bring the cluster back and run again (it resumes where it stopped), or raise "
                                 "SIGMA_OUTAGE_GIVE_UP") from exc

    def recovered(self) -> None:
        """Note a success: ends the outage (logged once) and resets the backoff."""
        if self.since is not None:
            log.warning("Kafka answering again; continuing", bootstrap=self.bootstrap,
                        outage_s=round(time.monotonic() - self.since, 1))
            self.since = None
            self._backoff = FIRST_BACKOFF


class Poller:
    """``poll`` for a consumer without a group, that notices an outage.

    kafka-python's ``poll`` returns nothing while the cluster is away, as it does on a quiet topic, and a
    consumer that does not commit has no other call that would fail. So after :data:`QUIET` seconds without
    records, and while an outage is on, it asks for the end offsets (a cheap request that fails when nobody
    answers): a failure is the outage (logged once, give-up after ``SIGMA_OUTAGE_GIVE_UP``), an answer ends it.
    Positions stay the consumer's own throughout, so reading resumes where it stopped.
    """

    def __init__(self, consumer: Any, partitions: list[Any], outage: Outage, doing: str = "reading the topics") -> None:
        self.consumer = consumer
        self.partitions = partitions
        self.outage = outage
        self.doing = doing
        self._heard = time.monotonic()

    def poll(self, timeout_ms: int = 200, max_records: int | None = None) -> dict[Any, list[Any]]:
        """The records of one ``consumer.poll``; raises :class:`SigmaError` once an outage outlasts the give-up."""
        polled: dict[Any, list[Any]] = self.outage.call(
            partial(self.consumer.poll, timeout_ms=timeout_ms, max_records=max_records), self.doing, answered=False)
        now = time.monotonic()
        if polled:
            self._heard = now
        if self.outage.since is not None or now - self._heard >= QUIET:  # records may come from a fetch buffer
            self._probe()
        return polled

    def _probe(self) -> None:
        try:
            self.consumer.end_offsets(self.partitions, timeout_ms=PROBE_TIMEOUT_MS)
        except Exception as exc:
            if not retriable(exc):
                raise
            self.outage.failed(exc, self.doing)
        else:
            self.outage.recovered()
        self._heard = time.monotonic()
