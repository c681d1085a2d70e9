"""Catching up evenly: polled records wait per partition and are processed slowest partition first.

Why: kafka-python's ``poll`` hands out whole fetched chunks, one partition after another (a fetch brings up to
a megabyte of each), so while catching up on a backlog some partitions ran weeks ahead of others in event
time. Decisions stay right regardless (the watermark is the slowest partition's, ``validator.watermark``), but
every case waits open until the slowest partition passes its decision time, so dossiers pile up and findings
come late. Pausing the partitions ahead through kafka-python stalled the reading instead (each resume waited
for a fetch of its own).

So the consumer keeps fetching everything, and the records wait here: the next record processed is always one
of the partition that is furthest behind in event time (its progress, the largest ``recorded_at`` processed
from it, read after each record: the event time itself, known without decoding anything twice, not a proxy
such as the Kafka timestamp). A partition whose records are still on their way (nothing waiting here, not at
its end) holds the others back at its own progress. Only a partition with very many records waiting is paused,
and resumed once half of them are processed, so memory stays bounded and a resume never waits.

The order records are processed in decides only how evenly event time advances, never a verdict: the engine
judges the set of a case's events, and the watermark is the slowest partition's whatever the order.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from validator.watermark import Where

NEVER = datetime.min.replace(tzinfo=UTC)
"""The progress of a partition nothing has been processed from yet: behind every other."""


class Positioned(Protocol):
    """What the backlog reads of a record: its offset (kafka-python's ``ConsumerRecord`` has it)."""

    @property
    def offset(self) -> int: ...


R = TypeVar("R", bound=Positioned)


class Backlog(Generic[R]):
    """Records polled but not yet processed, per partition, in offset order."""

    def __init__(self, bound: int, patience: float) -> None:
        self.bound = bound
        """Records a partition may have waiting before it is paused; it is resumed at half of them."""
        self.patience = patience
        """Seconds a partition that has run dry may hold the others back (see ``behind``)."""
        self._waiting: dict[Where, deque[R]] = {}
        self._dry: dict[Where, float] = {}
        self.paused: set[Where] = set()

    def add(self, polled: Mapping[Where, Sequence[R]]) -> list[Where]:
        """Keep the records of one poll; returns the partitions to pause now (more than ``bound`` waiting)."""
        over = []
        for partition, records in polled.items():
            waiting = self._waiting.get(partition)
            if waiting is None:
                waiting = self._waiting[partition] = deque()
            waiting.extend(records)
            if len(waiting) > self.bound and partition not in self.paused:
                self.paused.add(partition)
                over.append(partition)
        return over

    def resumable(self) -> list[Where]:
        """The paused partitions down to half the bound: to resume now (their next fetch arrives long before
        the rest is processed)."""
        drained = [p for p in self.paused if len(self._waiting[p]) <= self.bound // 2]
        self.paused.difference_update(drained)
        return drained

    def next_offset(self, partition: Where, fetched: int) -> int:
        """The offset of the partition's next record to process; ``fetched``, the consumer's position, when
        nothing waits (what a snapshot may cover: never a record that only waits here)."""
        waiting = self._waiting.get(partition)
        return waiting[0].offset if waiting else fetched

    def waiting(self) -> list[Where]:
        """The partitions with records waiting."""
        return [p for p, waiting in self._waiting.items() if waiting]

    def __len__(self) -> int:
        return sum(map(len, self._waiting.values()))

    def take(self, progress: Mapping[Where, datetime], unfinished: Collection[Where], now: float,
             limit: int) -> Iterator[R]:
        """Up to ``limit`` waiting records, each from the partition least advanced now.

        ``progress``: each partition's event time (``EngineState.progress``), read again after each record is
        handed out, once the caller has processed it (a generator: the caller processes one record before it
        asks for the next). ``unfinished``: the partitions whose consumer has not fetched up to their end.
        One of them with nothing waiting has its next records on the way: nothing is taken from a partition
        further advanced than it (that one would run ahead), unless it has been dry for ``patience`` seconds
        (see ``_behind``). Stops there, at ``limit``, or when nothing waits.
        """
        ceiling = min((progress.get(p, NEVER) for p in self._behind(unfinished, now)), default=None)
        queue = [(progress.get(p, NEVER), i, p) for i, (p, waiting) in enumerate(self._waiting.items()) if waiting]
        heapq.heapify(queue)
        while queue and limit > 0:
            at, i, partition = queue[0]
            if ceiling is not None and at > ceiling:
                return
            waiting = self._waiting[partition]
            yield waiting.popleft()
            limit -= 1
            at = progress.get(partition, NEVER)
            if waiting:
                heapq.heapreplace(queue, (at, i, partition))
            else:
                heapq.heappop(queue)
                if partition in unfinished and (ceiling is None or at < ceiling):
                    ceiling = at  # run dry here: it now holds the others back too

    def _behind(self, unfinished: Collection[Where], now: float) -> list[Where]:
        """The unfinished partitions with nothing waiting that hold the others back: run dry less than
        ``patience`` seconds ago. Their next records normally come with the consumer's next fetch; one that
        stays silent though not at its end (records behind a transaction still open, a cluster away) must not
        stop the others for good. Time is passed in, so the rule is tested without waiting."""
        since = self._dry
        self._dry = {p: since.get(p, now) for p in unfinished if not self._waiting.get(p)}
        return [p for p, at in self._dry.items() if now - at < self.patience]
