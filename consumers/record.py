"""``sigma record``: capture topics losslessly into a recording file.

Two ways to stop: ``to_end`` reads up to the end offsets seen at start (a snapshot, for CI), otherwise the
capture runs live until Ctrl-C or SIGTERM or, with ``until_ms``, until that moment has passed and everything
up to it is read. Either way the file is closed with its trailer, so a reader can tell it is complete: a
signal only asks the capture to stop after the record in hand (``runtime.interrupt.deferred``). A live
capture says when it has caught up and waits (a log line, for CI, where no progress bar is drawn). Both wait
out a cluster outage (``runtime.outage``: logged once, given up after ``SIGMA_OUTAGE_GIVE_UP``) and go on
where they stopped, so the file is the one an undisturbed capture writes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import structlog
from kafka import KafkaConsumer, TopicPartition

from consumers.bounded import read_until
from consumers.recording import RecordingWriter
from consumers.records import ConsumedRecord
from runtime import clients, interrupt
from runtime.errors import MissingTopicError, UsageError
from runtime.outage import Outage, Poller
from runtime.progress import Silent, Tracker
from runtime.settings import Settings
from schemas.topics import ALL_TOPICS, CHAIN_TOPICS, CHANGELOGS, OUTPUT_TOPICS

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RecordSummary:
    """What was captured."""

    path: Path
    records: int
    topics: dict[str, int]
    interrupted: bool


def _live(consumer: KafkaConsumer, partitions: list[TopicPartition], until_ms: int | None,
          stop: interrupt.StopRequest, tracker: Tracker, outage: Outage) -> Iterator[ConsumedRecord]:
    """Records as they arrive until a stop is requested, an outage waited out; with ``until_ms``, until that
    moment is past and the partitions are caught up. Each time it catches up it says so, once, with the records
    so far."""
    waiting = False
    count = 0
    poller = Poller(consumer, partitions, outage)
    while not stop.requested:
        polled = poller.poll(timeout_ms=200)
        for batch in polled.values():
            count += len(batch)
            for msg in batch:
                yield ConsumedRecord.from_kafka(msg)
        if polled and waiting:
            waiting = False
            tracker.status("recording")
        elif not polled and not waiting and _caught_up(consumer, partitions):
            waiting = True
            tracker.status("caught up, waiting")
            log.info("caught up, waiting for new records", records=count, partitions=len(partitions))
        if until_ms is not None and time.time() * 1000 > until_ms:
            end = outage.call(partial(consumer.end_offsets, partitions), "reading end offsets")
            if outage.call(partial(_at, consumer, end), "reading positions"):
                return


def _at(consumer: KafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    """Whether every partition's position has reached its offset in ``end``."""
    return all(consumer.position(tp) >= stop for tp, stop in end.items())


def _caught_up(consumer: KafkaConsumer, partitions: list[TopicPartition]) -> bool:
    """Whether every partition's position is at its high watermark as of the last fetch."""
    for tp in partitions:
        highwater = consumer.highwater(tp)
        if highwater is None or consumer.position(tp) < highwater:
            return False
    return True


def _matching(consumer: KafkaConsumer, pattern: str | None, prefix: str, outputs: bool) -> dict[str, int]:
    """Partition counts of the (non-internal) topics whose whole name matches ``pattern``; without a pattern,
    the chain topics under ``prefix``. Sigma's own output topics (findings, dead letters) only with ``outputs``:
    offline validation would dead-letter them as records of no known schema. Validator changelogs never: they are
    a validator group's internal state, as Kafka's ``__`` topics are the broker's."""
    if pattern is None:
        planned = [prefix + t.name for t in CHAIN_TOPICS + (OUTPUT_TOPICS if outputs else ())]
        existing = consumer.topics()
        for name in planned:
            if name not in existing:
                raise MissingTopicError(name, existing, [t.name for t in ALL_TOPICS])
        pattern = "|".join(map(re.escape, planned))
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"bad --topics pattern {pattern!r}: {exc}", fix="give a regular expression") from None
    names = sorted(t for t in consumer.topics() if regex.fullmatch(t) and not t.startswith("__")
                   and CHANGELOGS not in t)
    left_out = [] if outputs else [t for t in names if t.endswith(tuple(o.name for o in OUTPUT_TOPICS))]
    names = [t for t in names if t not in left_out]
    if not names:
        note = f" (left out sigma's output topics {', '.join(left_out)}: --include-outputs records them)" \
            if left_out else ""
        raise UsageError(f"no topic matches {pattern!r}{note}",
                         fix="check the pattern and the topic prefix (`sigma topics list`, `sigma context`)")
    if left_out:
        log.info("left out sigma's output topics (--include-outputs records them)", topics=left_out)
    return {t: len(consumer.partitions_for_topic(t) or ()) for t in names}


def record(settings: Settings, pattern: str | None, out: Path, *, to_end: bool, start_ms: int | None = None,
           until_ms: int | None = None, tracker: Tracker | None = None, outputs: bool = False) -> RecordSummary:
    """Record every topic whose name fully matches ``pattern`` (a regex; None: the chain topics under the
    settings' prefix), sigma's output topics only with ``outputs``; Ctrl-C and SIGTERM close the file cleanly."""
    tracker = tracker or Silent()
    consumer = clients.consumer(settings)
    outage = Outage(settings)
    try:
        counts = _matching(consumer, pattern, settings.topic_prefix, outputs)
        partitions = [TopicPartition(t, p) for t, n in counts.items() for p in range(n)]
        consumer.assign(partitions)
        end = outage.call(partial(consumer.end_offsets, partitions), "reading end offsets")
        if start_ms is not None:
            found = outage.call(partial(consumer.offsets_for_times, {tp: start_ms for tp in partitions}),
                                "looking up offsets by time")
            for tp in partitions:
                consumer.seek(tp, found[tp].offset if found.get(tp) is not None else end[tp])
        else:
            consumer.seek_to_beginning(*partitions)
        first = outage.call(lambda: {tp: consumer.position(tp) for tp in partitions}, "reading positions")
        manifest = {
            "cluster": settings.bootstrap, "topics": counts,
            "offsets": {t: {str(tp.partition): [first[tp], end[tp]] for tp in partitions if tp.topic == t}
                        for t in counts},
            "to_end": to_end, "from_ms": start_ms, "until_ms": until_ms,
        }
        pending = sum(end[tp] - first[tp] for tp in partitions) if to_end else None
        if pending is not None:
            tracker.total(pending)
        log.info("recording", topics=len(counts), partitions=len(partitions), to_end=to_end, records_to_end=pending)
        writer = RecordingWriter(out, manifest, what="--out")
        with interrupt.deferred() as stop, writer:  # a signal while the file is being finished is deferred too
            source = read_until(consumer, end, outage) if to_end else _live(consumer, partitions, until_ms, stop,
                                                                           tracker, outage)
            for item in source:
                if until_ms is None or item.timestamp <= until_ms:
                    writer.write(item)
                tracker.advance()
                if stop.requested:
                    break
        return RecordSummary(out, writer.count, counts, stop.requested)
    finally:
        consumer.close(autocommit=False)
