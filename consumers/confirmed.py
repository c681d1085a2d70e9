"""Sends that are confirmed before anything that depends on them: dead letters and findings.

Why: the validator commits offsets only after the dead letters and findings of the records they cover are
safe. ``producer.flush()`` alone waits for sends but does not tell a refused one from an acknowledged one,
so a letter the dead-letter topic refused (a size limit, a deleted topic) used to be counted, committed
past and lost. Here every send keeps its future and where it came from until the cluster acknowledged it;
:meth:`ConfirmedSender.confirm` waits for all of them and raises, naming the record, when one was refused.

Outages are not refusals: the producer given here retries until ``delivery_timeout_ms`` (the command's
give-up time), and while sends wait, :meth:`confirm` asks the cluster whether their topics still exist,
so a deleted topic is reported within seconds instead of after the give-up time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError

from runtime.errors import SigmaError
from runtime.outage import Outage, retriable
from runtime.transactions import CHECK_EVERY, STUCK_AFTER, StuckProducerError

Headers = list[tuple[str, bytes]]
TopicCheck = Callable[[str], bool | None]
"""Whether a topic exists: True, False, or None when the cluster does not answer."""

@dataclass(frozen=True)
class Refusal:
    """A send the cluster refused (or that outlived the give-up time): where to, what it carried, why."""

    topic: str
    origin: str
    error: BaseException
    order: int = 0
    """Its place among the sends: in a transaction, one refusal fails every send after it, and the first sent
    is the one to report."""


class ConfirmedSender:
    """Sends records and remembers each until it is acknowledged; :meth:`confirm` waits for all of them."""

    def __init__(self, producer: KafkaProducer, outage: Outage, topic_exists: TopicCheck) -> None:
        self._producer = producer
        self._outage = outage
        self._exists = topic_exists
        self._pending: list[tuple[Any, str, str]] = []
        self._refused: list[Refusal] = []
        self._sent = 0

    def send(self, topic: str, *, key: bytes | None, value: bytes | None, headers: Headers,
             timestamp_ms: int | None = None, partition: int | None = None, origin: str) -> None:
        """Send one record (to ``partition``, or its key's); ``origin`` names what it is about (for the error,
        never personal data)."""
        while True:
            try:
                future = self._producer.send(topic, key=key, value=value, headers=headers, timestamp_ms=timestamp_ms,
                                             partition=partition)
                break
            except KafkaTimeoutError as exc:  # no metadata for the topic, or the buffer stayed full
                self._require(topic, origin, exc)
                self._outage.failed(exc, f"sending to {topic}")
            except KafkaError as exc:
                self.confirm()  # in a transaction an earlier refusal fails this send: that one is the news
                raise self._error(Refusal(topic, origin, exc)) from exc
        self._sent += 1
        order = self._sent
        future.add_errback(lambda exc: self._refused.append(Refusal(topic, origin, exc, order)))
        self._pending.append((future, topic, origin))

    def confirm(self) -> None:
        """Block until every send so far is acknowledged; raise on the first refusal, a deleted topic, or an
        outage past the give-up time (the producer then fails the send itself)."""
        last_check = time.monotonic()
        answering: float | None = None  # since when the cluster has answered while sends waited
        acknowledged = bool(self._pending)
        while True:
            if self._refused:
                first = min(self._refused, key=lambda refusal: refusal.order)
                raise self._error(first) from first.error
            self._pending = [p for p in self._pending if not p[0].is_done]
            if not self._pending:
                if acknowledged:  # the cluster answered (with nothing sent, there is no news either way)
                    self._outage.recovered()
                return
            try:
                self._producer.flush(timeout=CHECK_EVERY)
            except KafkaTimeoutError as exc:
                now = time.monotonic()
                if now - last_check >= CHECK_EVERY:
                    last_check = now
                    exist = [self._require(topic, next(o for _, t, o in self._pending if t == topic), exc)
                             for topic in sorted({t for _, t, _ in self._pending})]
                    answering = (answering or now) if all(exist) else None
                    if answering is not None and now - answering >= STUCK_AFTER:
                        raise StuckProducerError(f"{len(self._pending)} sends unacknowledged for {STUCK_AFTER:g} s "
                                                 "while the cluster answers") from exc
                    self._outage.failed(exc, "waiting for sends to be acknowledged")

    def _require(self, topic: str, origin: str, cause: BaseException) -> bool | None:
        """Fail at once when the cluster answers that ``topic`` does not exist; whether it answered that it
        does (None: no answer)."""
        exists = self._exists(topic)
        if exists is False:
            raise SigmaError(f"topic {topic} does not exist (deleted while running?); "
                             f"nothing was committed past {origin}",
                             fix="create it with `sigma topics apply` (same SIGMA_TOPIC_PREFIX) and run again") \
                from cause
        return exists

    def _error(self, refusal: Refusal) -> SigmaError:
        name = type(refusal.error).__name__
        if retriable(refusal.error):  # the producer gave up retrying: the outage outlasted the give-up time
            return SigmaError(f"{refusal.topic} did not acknowledge {refusal.origin} within the give-up time "
                              f"({name}); nothing was committed past it",
                              fix="bring the cluster back and run again (it resumes there), or raise "
                                  "SIGMA_OUTAGE_GIVE_UP")
        return SigmaError(f"{refusal.topic} refused {refusal.origin} ({name}); nothing was committed past it",
                          fix=f"make {refusal.topic} accept it (its max.message.bytes, ACLs, or topic config) "
                              "and run again: the validator resumes at that record")
