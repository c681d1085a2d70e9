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
from typing import TypeVar

import structlog
from kafka.errors import KafkaError

from runtime.errors import SigmaError
from runtime.settings import Settings

log = structlog.get_logger(__name__)
T = TypeVar("T")

FIRST_BACKOFF = 0.2
MAX_BACKOFF = 5.0


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
