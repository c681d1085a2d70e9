"""Ending a Kafka transaction without waiting forever: the validator's exactly-once commits.

Why: kafka-python's ``send_offsets_to_transaction``, ``commit_transaction`` and ``abort_transaction`` wait for
the coordinator's answer without a time limit, and while the cluster is away they would hold the validator past
its give-up time (``SIGMA_OUTAGE_GIVE_UP``) for good. So these start the same request through the producer's
transaction manager (private, as ``runtime.clients.abandon`` uses the sender) and wait for its answer in slices,
noting each slice to the outage tracker, which gives up after the give-up time with one clear error.
"""

from __future__ import annotations

from typing import Any

import structlog
from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError

from runtime.outage import Outage

log = structlog.get_logger(__name__)
SLICE_MS = 1000
"""How long one wait for the coordinator's answer lasts before the outage tracker hears of it."""


def _await(producer: KafkaProducer, result: Any, outage: Outage, doing: str) -> None:
    producer._sender.wakeup()
    if result.wait(timeout_ms=SLICE_MS):
        return
    while not result.wait(timeout_ms=SLICE_MS):  # raises the request's own error when it failed
        outage.failed(KafkaTimeoutError(f"no answer while {doing}"), doing)
    outage.recovered()


def send_offsets(producer: KafkaProducer, offsets: dict[Any, Any], group: Any, outage: Outage) -> None:
    """Add the consumed ``offsets`` of ``group`` (``KafkaConsumer.group_metadata()``: the broker fences a
    member of an older generation, KIP-447) to the open transaction."""
    result = producer._transaction_manager.send_offsets_to_transaction(offsets, group)
    _await(producer, result, outage, "adding offsets to the transaction")


def commit(producer: KafkaProducer, outage: Outage) -> None:
    """Commit the open transaction: its records become visible to read_committed readers, with its offsets."""
    _await(producer, producer._transaction_manager.begin_commit(), outage, "committing the transaction")


def abort(producer: KafkaProducer, outage: Outage) -> None:
    """Abort the open transaction: its records are never seen by read_committed readers, its offsets dropped."""
    _await(producer, producer._transaction_manager.begin_abort(), outage, "aborting the transaction")


def abandon(producer: KafkaProducer, wait_ms: int = 1000) -> None:
    """On the way out (stopped, or failed): abort the open transaction if there is one, waiting ``wait_ms`` at
    most, so read_committed readers of its topics are not held back until it times out on the broker."""
    try:
        result = producer._transaction_manager.begin_abort()
        producer._sender.wakeup()
        result.wait(timeout_ms=wait_ms)
    except KafkaError as exc:  # none open, or the cluster away: the broker aborts it at its timeout
        log.debug("open transaction not aborted", error=type(exc).__name__)
