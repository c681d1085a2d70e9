"""Catching up evenly: polled records wait per partition, and the partition furthest behind in event time goes
first.

Why: kafka-python's ``poll`` hands out whole fetched chunks, one partition after another, so while catching up
on a backlog some partitions ran months ahead of others in event time. Decisions stay right regardless (the
watermark is the slowest partition's, ``validator.watermark``), but a case waits open until the slowest
partition passes its decision time, so dossiers pile up and findings come late. Pausing the partitions ahead
through kafka-python made reading stall instead (see ``validator.watermark``).

So the consumer keeps fetching, and the records wait here until their turn: the next one processed is always
of the partition least advanced, by its progress (the largest ``recorded_at`` processed from it, read after
each record). That is the event time itself, known without decoding anything twice, rather than a proxy such
as the Kafka timestamp; the price is that a partition's next event time is known only once its record is
processed, so each may run one record ahead. Runs of one partition continue while it is no more than ``slack``
ahead of the next least advanced (the allowed lateness: nothing is decided at a finer grain), which saves most
of the turns. A partition whose records are on their way (nothing waiting, not at its end) holds the others
back at its own progress, for ``patience`` seconds at most. Nothing is paused: memory is bounded by ``bound``
records waiting in all, beyond which nothing holds back, and by the consumer fetching only when it is asked to.

The order decides only how evenly event time advances, never a verdict: within a partition records are taken
in offset order whatever their event times, the engine judges the set of a case's events, and the watermark is
the slowest partition's whatever the order.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
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

    def __init__(self, bound: int, patience: float, slack: timedelta = timedelta(0)) -> None:
        self.bound = bound
        """Records that may wait in all: beyond it, nothing holds the least advanced partitions back (see
        ``take``), so what waits shrinks again whatever the order."""
        self.patience = patience
        """Seconds a partition that has run dry may hold the others back (see ``_behind``)."""
        self.slack = slack
        """Event time a partition may run ahead of the next least advanced one before that one's turn."""
        self._waiting: dict[Where, deque[R]] = {}
        self._dry: dict[Where, float] = {}

    def add(self, polled: Mapping[Where, Sequence[R]]) -> None:
        """Keep the records of one poll."""
        for partition, records in polled.items():
            waiting = self._waiting.get(partition)
            if waiting is None:
                waiting = self._waiting[partition] = deque()
            waiting.extend(records)

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
        """Up to ``limit`` waiting records, each from the partition least advanced now (within ``slack``).

        ``progress``: each partition's event time (``EngineState.progress``), read again after each record is
        handed out, once the caller has processed it (a generator: the caller processes one record before it
        asks for the next). ``unfinished``: the partitions whose consumer has not fetched up to their end.
        One of them with nothing waiting has its next records on the way: nothing is taken from a partition
        further advanced than it (that one would run ahead), unless it has been dry for ``patience`` seconds
        (see ``_behind``) or more than ``bound`` records wait. Stops there, at ``limit``, or when nothing waits.
        """
        behind = self._behind(unfinished, now)
        full = len(self) > self.bound
        ceiling = None if full else min((progress.get(p, NEVER) for p in behind), default=None)
        queue = [(progress.get(p, NEVER), i, p) for i, (p, waiting) in enumerate(self._waiting.items()) if waiting]
        heapq.heapify(queue)
        slack = self.slack
        while queue and limit > 0:
            at, i, partition = heapq.heappop(queue)
            if ceiling is not None and at > ceiling:
                return
            stop = queue[0][0] + slack if queue else None  # its run ends past the next partition's event time
            if ceiling is not None and (stop is None or ceiling < stop):
                stop = ceiling
            waiting = self._waiting[partition]
            while True:
                yield waiting.popleft()
                limit -= 1
                at = progress.get(partition, NEVER)
                if not waiting or not limit or (stop is not None and at > stop):
                    break
            if waiting:
                heapq.heappush(queue, (at, i, partition))
            elif not full and partition in unfinished and (ceiling is None or at < ceiling):
                ceiling = at  # run dry here: it now holds the others back too

    def _behind(self, unfinished: Collection[Where], now: float) -> list[Where]:
        """The unfinished partitions with nothing waiting that hold the others back: run dry less than
        ``patience`` seconds ago. Their next records normally come with the consumer's next fetch; one that
        stays silent though not at its end (records behind a transaction still open, a cluster away) must not
        stop the others for good. Time is passed in, so the rule is tested without waiting."""
        since = self._dry
        self._dry = {p: since.get(p, now) for p in unfinished if not self._waiting.get(p)}
        return [p for p, at in self._dry.items() if now - at < self.patience]
