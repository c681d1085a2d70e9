"""Ending a Kafka transaction without waiting forever: the validator's exactly-once commits.

Why: kafka-python's ``send_offsets_to_transaction``, ``commit_transaction`` and ``abort_transaction`` wait for
the coordinator's answer without a time limit, and while the cluster is away they would hold the validator past
its give-up time (``SIGMA_OUTAGE_GIVE_UP``) for good. So these start the same request through the producer's
transaction manager (private, as ``runtime.clients.abandon`` uses the sender) and wait for its answer in slices,
noting each slice to the outage tracker, which gives up after the give-up time with one clear error. A request
left unanswered for ``STUCK_AFTER`` seconds while the cluster answers other requests raises
:class:`StuckProducerError` instead, when the caller says how to ask: its producer is to be replaced.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog
from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError

from runtime.outage import Outage

log = structlog.get_logger(__name__)
SLICE_MS = 1000
"""How long one wait for the coordinator's answer lasts before the outage tracker hears of it."""
CHECK_EVERY = 2.0
"""Seconds between asking whether the cluster answers while a producer's requests wait."""
STUCK_AFTER = 30.0
"""Seconds a producer's requests may stay unanswered while the cluster answers before the producer is taken to be
stuck: kafka-python 3.0.12's producer, once in a while, never sends again what it had in flight when its broker
restarted, and waits for it until the give-up time; its transactions' requests waited so for a coordinator on a
node that was killed (the three-node cluster test)."""
Answers = Callable[[], bool]
"""Whether the cluster answers a request (of another client) now."""


class StuckProducerError(Exception):
    """The cluster answers, but the producer's requests stay unanswered (``STUCK_AFTER``): its owner replaces it
    with a new producer and sends again."""


def _await(producer: KafkaProducer, result: Any, outage: Outage, doing: str, answers: Answers | None) -> None:
    producer._sender.wakeup()
    if result.wait(timeout_ms=SLICE_MS):
        return
    last_check, answering = time.monotonic(), None  # since when the cluster has answered while this waited
    while not result.wait(timeout_ms=SLICE_MS):  # raises the request's own error when it failed
        now = time.monotonic()
        if answers is not None and now - last_check >= CHECK_EVERY:
            last_check = now
            answering = (answering or now) if answers() else None
            if answering is not None and now - answering >= STUCK_AFTER:
                raise StuckProducerError(f"no answer for {STUCK_AFTER:g} s while {doing}, though the cluster answers")
        outage.failed(KafkaTimeoutError(f"no answer while {doing}"), doing)
    outage.recovered()


def send_offsets(producer: KafkaProducer, offsets: dict[Any, Any], group: Any, outage: Outage,
                 answers: Answers | None = None) -> None:
    """Add the consumed ``offsets`` of ``group`` (``KafkaConsumer.group_metadata()``: the broker fences a
    member of an older generation, KIP-447) to the open transaction."""
    result = producer._transaction_manager.send_offsets_to_transaction(offsets, group)
    _await(producer, result, outage, "adding offsets to the transaction", answers)


def commit(producer: KafkaProducer, outage: Outage, answers: Answers | None = None) -> None:
    """Commit the open transaction: its records become visible to read_committed readers, with its offsets."""
    _await(producer, producer._transaction_manager.begin_commit(), outage, "committing the transaction", answers)


def abort(producer: KafkaProducer, outage: Outage) -> None:
    """Abort the open transaction: its records are never seen by read_committed readers, its offsets dropped."""
    _await(producer, producer._transaction_manager.begin_abort(), outage, "aborting the transaction", None)


def abandon(producer: KafkaProducer, wait_ms: int = 1000) -> None:
    """On the way out (stopped, or failed): abort the open transaction if there is one, waiting ``wait_ms`` at
    most, so read_committed readers of its topics are not held back until it times out on the broker."""
    try:
        result = producer._transaction_manager.begin_abort()
        producer._sender.wakeup()
        result.wait(timeout_ms=wait_ms)
    except KafkaError as exc:  # none open, or the cluster away: the broker aborts it at its timeout
        log.debug("open transaction not aborted", error=type(exc).__name__)
