"""``sigma record``: capture topics losslessly into a recording file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kafka import TopicPartition

from consumers.recording import RecordingWriter
from consumers.records import ConsumedRecord
from sigma import __version__, clients
from sigma.errors import UsageError
from sigma.progress import Tracker
from sigma.settings import Settings


@dataclass(frozen=True)
class RecordSummary:
    """What was captured."""

    path: Path
    records: int
    topics: dict[str, int]
    interrupted: bool


def record(settings: Settings, pattern: str, out: Path, *, to_end: bool, start_ms: int | None = None,
           until_ms: int | None = None, tracker: Tracker | None = None) -> RecordSummary:
    """Record every topic whose name fully matches ``pattern`` (a regex); Ctrl-C closes the file cleanly."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"bad --topics pattern {pattern!r}: {exc}", fix="give a regular expression") from None
    consumer = clients.consumer(settings)
    try:
        names = sorted(t for t in consumer.topics() if regex.fullmatch(t) and not t.startswith("__"))
        if not names:
            raise UsageError(f"no topic matches {pattern!r}", fix="check the pattern with `sigma topics list`")
        counts = {t: len(consumer.partitions_for_topic(t) or ()) for t in names}
        partitions = [TopicPartition(t, p) for t in names for p in range(counts[t])]
        consumer.assign(partitions)
        begin = consumer.beginning_offsets(partitions)
        end = consumer.end_offsets(partitions)
        if start_ms is not None:
            found = consumer.offsets_for_times({tp: start_ms for tp in partitions})
            for tp in partitions:
                consumer.seek(tp, found[tp].offset if found.get(tp) is not None else end[tp])
        else:
            consumer.seek_to_beginning(*partitions)
        manifest = {
            "cluster": settings.bootstrap, "topics": counts, "tool": f"sigma {__version__}",
            "created_at": datetime.now(UTC).isoformat(), "to_end": to_end, "from_ms": start_ms, "until_ms": until_ms,
            "offsets": {t: {str(tp.partition): [begin[tp], end[tp]] for tp in partitions if tp.topic == t}
                        for t in names},
        }
        interrupted = False
        with RecordingWriter(out, manifest) as writer:
            try:
                while not (to_end and all(consumer.position(tp) >= end[tp] for tp in partitions)):
                    for batch in consumer.poll(timeout_ms=200, max_records=5000).values():
                        for msg in batch:
                            if to_end and msg.offset >= end[TopicPartition(msg.topic, msg.partition)]:
                                continue
                            if until_ms is not None and msg.timestamp > until_ms:
                                continue
                            writer.write(ConsumedRecord.from_kafka(msg))
                            if tracker is not None:
                                tracker.advance()
            except KeyboardInterrupt:
                interrupted = True
        return RecordSummary(out, writer.count, counts, interrupted)
    finally:
        consumer.close(autocommit=False)
