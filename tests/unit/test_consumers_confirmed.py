"""Confirmed sends (``consumers.confirmed``): what ``confirm`` concludes from a producer that does not deliver.

Why unit tests with a stand-in producer: the four outcomes depend on what the cluster says while sends wait,
and one of them (kafka-python's producer never sending again what it had in flight when its broker restarted)
cannot be brought about on purpose on a real broker. The stand-in is a producer whose sends are never
acknowledged; what is tested is the sender's own reasoning: a cluster that answers that the topic exists
means the producer is stuck (its owner replaces it), one that does not answer is an outage (waited out until
the give-up time), one that says the topic is gone is an error naming it, and a refusal names the record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

from consumers import confirmed
from consumers.confirmed import ConfirmedSender, StuckProducerError
from runtime.errors import SigmaError
from runtime.outage import Outage
from runtime.settings import Settings


class _Future:
    """A send the cluster has not acknowledged (yet)."""

    def __init__(self) -> None:
        self.is_done = False
        self.errbacks: list[Callable[[BaseException], None]] = []

    def add_errback(self, errback: Callable[[BaseException], None]) -> None:
        self.errbacks.append(errback)


class _SilentProducer:
    """Takes sends and never gets them acknowledged: ``flush`` always times out."""

    def __init__(self) -> None:
        self.futures: list[_Future] = []

    def send(self, topic: str, **_: Any) -> _Future:
        self.futures.append(_Future())
        return self.futures[-1]

    def flush(self, timeout: float | None = None) -> None:
        raise KafkaTimeoutError(f"flush timed out after {timeout} s")


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(confirmed, "CHECK_EVERY", 0.0)
    monkeypatch.setattr(confirmed, "STUCK_AFTER", 0.05)


def _sender(producer: _SilentProducer, exists: bool | None, give_up: float = 60.0) -> ConfirmedSender:
    sender = ConfirmedSender(producer, Outage(Settings(), give_up=give_up), lambda topic: exists)
    sender.send("chain.validation.findings", key=b"ck", value=b"v", headers=[], origin="the finding of case ck")
    return sender


def test_sends_unacknowledged_while_the_cluster_says_their_topic_exists_are_a_stuck_producer() -> None:
    with pytest.raises(StuckProducerError, match="1 sends unacknowledged"):
        _sender(_SilentProducer(), exists=True).confirm()


def test_sends_unacknowledged_while_the_cluster_does_not_answer_are_an_outage_until_the_give_up_time() -> None:
    with pytest.raises(SigmaError, match="did not answer for"):
        _sender(_SilentProducer(), exists=None, give_up=0.2).confirm()


def test_a_topic_deleted_while_sends_wait_is_named() -> None:
    with pytest.raises(SigmaError, match=r"topic chain\.validation\.findings does not exist .* past the finding of"):
        _sender(_SilentProducer(), exists=False).confirm()


def test_a_refused_send_names_its_record_and_acknowledged_ones_are_confirmed() -> None:
    producer = _SilentProducer()
    sender = _sender(producer, exists=True)
    producer.futures[0].is_done = True
    sender.confirm()  # acknowledged: nothing pending, no error
    sender.send("chain.dlq", key=None, value=b"x" * 10, headers=[], origin="dead letter of chain.coa.case 0@7")
    producer.futures[1].is_done = True
    producer.futures[1].errbacks[0](MessageSizeTooLargeError("too large"))
    with pytest.raises(SigmaError, match=r"chain\.dlq refused dead letter of chain\.coa\.case 0@7 \(MessageSize"):
        sender.confirm()
