"""Which send decided a finding, for the latency benchmark: send times and event times in, no Kafka.

The validator decides a case when its watermark passes the case's decision time D, the checkpoint plus the
allowed lateness (``validator.engine.Engine.decision_time``). The watermark is the least event-time progress
(largest ``recorded_at`` read) over the partitions that hold it back: every chain partition, except one that
is caught up and has delivered nothing for the idle timeout (``validator.watermark``). Partitions are written
in event-time order, so per partition p of the sent stream:

* p's crossing record is its first record recorded at or after D: once it is read, p no longer holds D back;
* if p was silent for longer than the idle timeout before its crossing record (or has none yet), p stopped
  holding D back earlier, by the clock: its last record before + the idle timeout.

So the record that moved the watermark past D is the last crossing record over the partitions that held D back
until it; when none did (every partition fell silent before its crossing record, as each does at once with an
idle timeout of 0), the first crossing record on any partition: the watermark passes D only once some
partition's progress has. A finding is timed from its send. When a silent partition stopped holding D back
after that record, the idle timeout decided the finding and its latency includes the wait for it: such findings
are counted apart so that the figure says how much the timeout weighs in it. Times are the sender's (when each
record was sent), not the validator's, which is why a partition counts as silent only past the timeout by the
send times.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Cause:
    """When the watermark passed a decision time, by the sender's clock."""

    record: float
    """Send time of the record that moved the watermark past it."""
    by_idleness: bool
    """A silent partition stopped holding it back after that record: the idle timeout decided."""


class Crossings:
    """Per partition, the progress after each sent record and its send time, to find crossing records."""

    def __init__(self, sent: Iterable[tuple[Hashable, datetime, float]], idle_timeout: float) -> None:
        """``sent``: (partition, recorded_at, send time) of every record, in send order."""
        self.idle_timeout = idle_timeout
        self._progress: dict[Hashable, list[datetime]] = {}
        self._sent: dict[Hashable, list[float]] = {}
        for where, recorded, at in sent:
            progress = self._progress.setdefault(where, [])
            progress.append(max(progress[-1], recorded) if progress else recorded)
            self._sent.setdefault(where, []).append(at)

    def cause(self, decision: datetime, arrived: float) -> Cause | None:
        """What moved the watermark past ``decision`` for a finding that arrived at ``arrived``; None when no
        partition crossed it by a record sent before then (nothing in the stream sent decided it)."""
        held: float | None = None
        first_crossing: float | None = None
        idle = float("-inf")
        for where, progress in self._progress.items():
            sent = self._sent[where]
            first = bisect.bisect_left(progress, decision)
            crossing = sent[first] if first < len(sent) and sent[first] < arrived else None
            silent_from = sent[first - 1] + self.idle_timeout if first > 0 else float("-inf")
            if crossing is not None:
                first_crossing = crossing if first_crossing is None else min(first_crossing, crossing)
            if crossing is not None and crossing <= silent_from:
                held = crossing if held is None else max(held, crossing)
            else:
                idle = max(idle, silent_from)
        record = held if held is not None else first_crossing
        if record is None:
            return None
        return Cause(record, idle > record)
