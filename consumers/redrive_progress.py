"""Where a filtered redrive stands per DLQ partition, kept in the redrive group's committed offset.

Why: a redrive with ``--filter`` handles some letters and leaves others. Committing the end offset would
pass over the letters left behind, so a later redrive could never send them; committing only up to the
first one left behind would send the handled letters after it a second time. So the committed offset is
the first letter not yet handled, and its metadata lists the handled offsets after it (as ranges relative
to it, ``"r1:2-5,9"``). The next run skips exactly those. Kafka bounds commit metadata
(``offset.metadata.max.bytes``, 4096 by default); when the ranges would not fit, the committed offset moves
forward past the oldest letters left behind until they do, and those letters are counted as passed over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PREFIX = "r1:"
MAX_METADATA = 4000
"""Below Kafka's default ``offset.metadata.max.bytes`` (4096)."""


@dataclass(frozen=True)
class Progress:
    """The next commit of one partition: its offset, its metadata, and letters left behind for good."""

    offset: int
    metadata: str
    passed_over: int = 0


def handled_after(start: int, metadata: str | None) -> set[int]:
    """The handled offsets recorded in a commit's metadata (empty for none, or for metadata not ours)."""
    if not metadata or not metadata.startswith(PREFIX) or metadata == PREFIX:
        return set()
    found: set[int] = set()
    for part in metadata[len(PREFIX):].split(","):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            return set()  # not written by us: treat as nothing recorded
        found.update(range(start + int(low), start + int(high or low) + 1))
    return found


def _ranges(start: int, offsets: Iterable[int]) -> str:
    parts: list[str] = []
    ordered = sorted(offsets)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        low, high = ordered[i] - start, ordered[j] - start
        parts.append(f"{low}-{high}" if high > low else str(low))
        i = j + 1
    return PREFIX + ",".join(parts)


def next_commit(end: int, handled: set[int], left: list[int]) -> Progress:
    """The commit after a run: ``handled`` offsets (this run's and earlier ones), ``left`` the letters
    read but filtered out; ``end`` the offset the run read up to."""
    remaining = sorted(left)

    def commit(passed_over: int) -> Progress:
        offset = remaining[passed_over] if passed_over < len(remaining) else end
        return Progress(offset, _ranges(offset, (o for o in handled if offset <= o < end)), passed_over)

    def fits(candidate: Progress) -> bool:
        return len(candidate.metadata.encode()) <= MAX_METADATA

    best = commit(0)
    if fits(best):
        return best
    low, high = 1, len(remaining)  # the metadata only shrinks as the offset moves forward: bisect the cut
    while low < high:
        middle = (low + high) // 2
        if fits(commit(middle)):
            high = middle
        else:
            low = middle + 1
    return commit(low)
