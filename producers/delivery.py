"""When partners publish what they recorded, and which records the validator must count as delivered late.

Why publication delays: real partner systems do not publish the moment they record; one that exports in a
daily batch sends records up to a day old, all at once, and nothing in between. A delay per partner moves each
of its events later in the stream, a batch period holds them to the next export (publication time:
``recorded_at`` plus the delay, rounded up to the period), so a stream tests what the validator does with
evidence that arrives after other partners' later records, and with a partner that is quiet for hours. An
office delay splits a partner in two offices, the second publishing hours after the first (one region
exporting a day behind the other): the partner's own topics then get records recorded before records already
on them, which is what a reader of one partition can tell is late.

Why the simulator counts late deliveries itself: the report counts, per partner, records recorded on time
for their case's checkpoint that were delivered only after the case's decision time (checkpoint plus the
allowed lateness) had passed *in their own partition*: the partition's event time (the largest
``recorded_at`` delivered in it before) was already past it, as Kafka Streams judges lateness by a
partition's stream time. That depends only on the order records were published in, which the simulator
alone knows, not on how a reader interleaves partitions; so its count is a truth the report must equal.
"""

from __future__ import annotations

import heapq
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta

from producers.lifecycle import CasePlan
from schemas.events import ChainEvent
from schemas.placement import Placement


def published(events: Iterable[tuple[int, ChainEvent]], delays: Mapping[str, int],
              batches: Mapping[str, int] | None = None,
              offices: Mapping[str, int] | None = None) -> Iterator[tuple[int, ChainEvent]]:
    """``events`` (simulated seconds recorded, in recorded order) as ``(seconds published, event)`` in
    publication order: each partner's events ``delays[partner]`` seconds late, those of its second office
    (:func:`second_office`) ``offices[partner]`` seconds later still, and with a batch period
    ``batches[partner]``, held until the next multiple of it (ties: the recorded order).

    An event can be released once the input has reached its publication time: every later input is
    recorded, so published, no earlier than that.
    """
    batches, offices = batches or {}, offices or {}
    if not any(delays.values()) and not any(batches.values()) and not any(offices.values()):
        yield from events
        return
    waiting: list[tuple[int, int, ChainEvent]] = []
    for sequence, (at, event) in enumerate(events):
        while waiting and waiting[0][0] <= at:
            when, _, ready = heapq.heappop(waiting)
            yield when, ready
        partner = event.partner.value
        when = at + delays.get(partner, 0)
        if offices.get(partner) and second_office(event.case_key):
            when += offices[partner]
        period = batches.get(partner)
        if period:
            when = -(-when // period) * period
        heapq.heappush(waiting, (when, sequence, event))
    while waiting:
        when, _, ready = heapq.heappop(waiting)
        yield when, ready


def second_office(case_key: str) -> bool:
    """Whether a case is handled by its partners' second office: half the cases, by case key (stable across runs
    and processes, unlike ``hash``)."""
    return zlib.crc32(case_key.encode()) % 2 == 1


class LateDeliveries:
    """Counts, per partner, the records a validator with ``lateness`` must count as delivered late.

    Fed every case as it is planned and every record as it is published (in publication order, with the
    partition it goes to).
    """

    def __init__(self, lateness: timedelta) -> None:
        self.lateness = lateness
        self._checkpoints: dict[str, datetime] = {}
        self._progress: dict[tuple[str, int], datetime] = {}
        self._placement = Placement()
        self.counts: Counter[str] = Counter()

    def case(self, plan: CasePlan) -> None:
        """A planned case: only checked cases have a checkpoint to be late for."""
        if plan.verdict.checkpoint is not None:
            self._checkpoints[plan.case_key] = plan.verdict.checkpoint

    def sent(self, event: ChainEvent, topic: str, key: bytes, partitions: int) -> None:
        """One record published to ``topic`` (of ``partitions`` partitions) with ``key``."""
        where = (topic, self._placement.partition(key, partitions))
        recorded = event.recorded_at
        seen = self._progress.get(where)
        if seen is None or recorded > seen:
            self._progress[where] = recorded
            return
        checkpoint = self._checkpoints.get(event.case_key)
        if checkpoint is not None and recorded <= checkpoint and seen > checkpoint + self.lateness:
            self.counts[event.partner.value] += 1
