"""The typed publisher: an event model in; encoded, enveloped and sent to its topic, keyed by case.

Real partner systems can use it as is: ``Publisher(settings).publish(event)`` for each event, then
``flush()`` for the delivery report. The model has validated the event (schema and owning partner)
when it was built; the codec encodes it, the envelope adds the CloudEvents headers and the case key.

Delivery: an idempotent kafka-python producer (acks=all, from ``runtime.clients``) that waits out a cluster
outage: it retries each record until ``SIGMA_OUTAGE_GIVE_UP`` has passed for it, and a send that blocks
(the buffer full during an outage) is retried with backoff (``runtime.outage``). Each send registers an
errback, so a record that finally cannot be delivered is counted with its reason;
:meth:`DeliveryReport.raise_for_failures` turns any such count into an error — nothing is dropped silently.
The Kafka record timestamp is the wall clock at send (kafka-python's default), so topic retention never
deletes a freshly simulated history; simulated times live in the payload.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, NamedTuple

from kafka import KafkaProducer
from kafka.errors import AuthorizationError, KafkaError
from kafka.partitioner import DefaultPartitioner

from runtime import clients
from runtime.errors import SigmaError
from runtime.outage import Outage
from runtime.security import acting_as
from runtime.settings import Settings
from schemas.access import GRANT_FIX
from schemas.codec import AvroSerializer
from schemas.envelope import to_record
from schemas.events import ChainEvent

FLUSH_MARGIN_S = 60.0
"""Added to the give-up time (the producer's delivery timeout) for a flush, so every record has failed or
succeeded by then."""

class Outgoing(NamedTuple):
    """One encoded record, ready to send, with what the delivery report counts it under."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    partner: str
    subject: str


class Encoder:
    """Event model → :class:`Outgoing`: Avro value via the codec, key and headers via the envelope."""

    def __init__(self, topic_prefix: str = "") -> None:
        self._prefix = topic_prefix
        self._serializer = AvroSerializer()

    def __call__(self, event: ChainEvent) -> Outgoing:
        record = to_record(event, self._serializer, prefix=self._prefix)
        return Outgoing(record.topic, record.key, record.value, record.headers, event.partner.value, event.subject)


@dataclass
class DeliveryReport:
    """What a publisher sent, per partner and per event type, and what could not be delivered."""

    sent: int = 0
    failed: int = 0
    refused: int = 0
    """Of the failed, those the cluster refused (an authorization error: the principal lacks an ACL)."""
    reasons: Counter[str] = field(default_factory=Counter)
    by_partner_type: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def delivered(self) -> int:
        """Records the cluster acknowledged."""
        return self.sent - self.failed

    def by_partner(self) -> Counter[str]:
        """Events sent per partner."""
        counts: Counter[str] = Counter()
        for (partner, _), n in self.by_partner_type.items():
            counts[partner] += n
        return counts

    def by_type(self) -> Counter[str]:
        """Events sent per event type (subject)."""
        counts: Counter[str] = Counter()
        for (_, subject), n in self.by_partner_type.items():
            counts[subject] += n
        return counts

    def raise_for_failures(self) -> None:
        """Fail with the count and the main reason when any record was not delivered."""
        if self.failed:
            reason, _ = self.reasons.most_common(1)[0]
            fix = (GRANT_FIX if self.refused else
                   "check the cluster and the topics (`sigma topics apply`), then run again")
            raise SigmaError(f"{self.failed} of {self.sent} events were not delivered ({reason})", fix=fix)


def failure_reason(exc: BaseException) -> str:
    """A short reason: the error's name and its detail (kafka-python's "[Error 10] Name: None" trimmed)."""
    name = type(exc).__name__
    text = str(exc)
    if text.startswith("[Error"):
        text = text.split(": ", 1)[1] if ": " in text else ""
    text = text.removeprefix(f"{name}: ")
    return f"{name}: {text}"[:200] if text and text not in ("None", name) else name


class KeyCachingPartitioner(DefaultPartitioner):  # type: ignore[misc]  # kafka-python has no type hints
    """Kafka's default partitioning (murmur2 of the key, as the Java client), remembered per key.

    Why: a case sends a dozen events or more under one key, and pure-Python murmur2 is a sixth of a send.
    The memo is dropped when a topic's partition count changes, and bounded in size.
    """

    LIMIT = 200_000

    def __init__(self) -> None:
        self._memo: dict[tuple[str, bytes], tuple[int, int]] = {}

    def partition(self, topic: str, key: Any, serialized_key: bytes | None, value: Any,
                  serialized_value: bytes | None, cluster: Any) -> int:
        if serialized_key is None:
            return int(super().partition(topic, key, serialized_key, value, serialized_value, cluster))
        count = len(cluster.partitions_for_topic(topic) or ())
        memo = self._memo.get((topic, serialized_key))
        if memo is not None and memo[0] == count:
            return memo[1]
        chosen = int(super().partition(topic, key, serialized_key, value, serialized_value, cluster))
        if len(self._memo) >= self.LIMIT:
            self._memo.clear()
        self._memo[(topic, serialized_key)] = (count, chosen)
        return chosen


class Publisher:
    """Publishes chain events to ``topic_prefix`` + each event's topic (default: the settings' prefix).

    Each partner sends as itself: on the secured embedded broker a record goes through a producer logged in as
    its partner (``runtime.security.acting_as``), so the broker's write ACLs judge every partner on its own.
    Elsewhere (``--as``, an explicit SASL user, plaintext, an existing cluster) one producer sends everything.
    """

    def __init__(self, settings: Settings, *, topic_prefix: str | None = None, **producer_overrides: Any) -> None:
        self._settings = settings
        self.topic_prefix = settings.topic_prefix if topic_prefix is None else topic_prefix
        self._encode = Encoder(self.topic_prefix)
        self._overrides = {**clients.patient(settings), **producer_overrides}
        self._producers: dict[str | None, KafkaProducer] = {}
        self._partitioner = KeyCachingPartitioner()
        self._outage = Outage(settings)
        self._report = DeliveryReport()
        self._lock = threading.Lock()

    def publish(self, event: ChainEvent) -> None:
        """Encode and send one event (asynchronously; :meth:`flush` waits for delivery)."""
        self.send(self._encode(event))

    def send(self, record: Outgoing) -> None:
        """Send one encoded record; a record the producer refuses outright is an error at once."""
        try:
            future = self._outage.call(partial(self._producer(record.partner).send, record.topic, value=record.value,
                                               key=record.key,
                                               headers=record.headers), f"sending to {record.topic}")
        except AuthorizationError as exc:
            raise SigmaError(f"the cluster refused {record.partner} publishing to {record.topic}: "
                             f"{type(exc).__name__}", fix=GRANT_FIX) from exc
        except KafkaError as exc:
            raise SigmaError(f"cannot publish to {record.topic}: {type(exc).__name__}",
                             fix="check that the topic exists (`sigma topics apply`) and the cluster is up") from exc
        future.add_errback(self._failed)
        self._report.sent += 1
        self._report.by_partner_type[(record.partner, record.subject)] += 1

    def _producer(self, partner: str) -> KafkaProducer:
        """The producer that sends as ``partner`` (made on its first record)."""
        settings = acting_as(self._settings, partner)
        producer = self._producers.get(settings.principal)
        if producer is None:
            producer = clients.producer(settings, partitioner=self._partitioner, **self._overrides)
            self._producers[settings.principal] = producer
        return producer

    def _failed(self, exc: BaseException) -> None:
        """Errback from the producer's I/O thread: count the failure and its reason."""
        reason = failure_reason(exc)
        with self._lock:
            self._report.failed += 1
            self._report.refused += isinstance(exc, AuthorizationError)
            self._report.reasons[reason] += 1

    def flush(self, timeout: float | None = None) -> DeliveryReport:
        """Wait until every record sent so far is delivered or failed; the report so far."""
        timeout = self._settings.outage_give_up + FLUSH_MARGIN_S if timeout is None else timeout
        deadline = time.monotonic() + timeout
        try:
            for producer in self._producers.values():
                producer.flush(timeout=max(deadline - time.monotonic(), 0.0))
        except KafkaError as exc:
            raise SigmaError(f"delivery did not finish within {timeout:.0f} s ({type(exc).__name__})",
                             fix="check the cluster, then run again") from exc
        return self._report

    def close(self) -> None:
        """Release the producers (after :meth:`flush`; unsent records are not waited for)."""
        for producer in self._producers.values():
            producer.close(timeout=0)

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
