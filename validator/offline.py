"""The validator on a recording, with no broker: the same engine, so the same report as online (for CI)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import structlog

from consumers.recording import read_manifest, read_recording
from consumers.records import ConsumedRecord
from runtime.progress import Tracker
from schemas import native
from schemas.topics import CHAIN_TOPICS
from validator.engine import Engine, Rejection
from validator.heap import LongLivedHeap

log = structlog.get_logger(__name__)

BATCH = 5000
"""Records between progress updates, evictions and heap settling (as one online poll)."""


def recorded_topics(path: Path) -> list[str]:
    """The topics the recording at ``path`` was made from, as its manifest names them."""
    return sorted(read_manifest(path).get("topics") or {})


def chain_prefixes(names: Iterable[str]) -> list[str]:
    """The prefixes the chain topics among ``names`` carry (``demo-1.`` for ``demo-1.chain.case``), sorted."""
    return sorted({name[: -len(spec.name)] for name in names for spec in CHAIN_TOPICS if name.endswith(spec.name)})


def recorded_prefix(path: Path, fallback: str) -> str:
    """The topic prefix the recording's chain topics carry when they all carry the same one, else ``fallback``.

    Why: a recording of a demo run holds ``demo-<run>.chain.case`` and so on, and the engine dead-letters a
    record found on another topic than its subject's. The names in the file are facts; the prefix in effect
    when validating it later (another run's, or none) is not, so the recording's own prefix is used.
    """
    found = chain_prefixes(recorded_topics(path))
    return found[0] if len(found) == 1 else fallback


def validate_recording(path: Path, engine: Engine, tracker: Tracker | None = None,
                       rejected: Callable[[ConsumedRecord, Rejection], None] | None = None) -> Engine:
    """Feed every record of the recording at ``path`` to ``engine``; recording errors name the line.

    ``rejected`` is told of every record the validator would dead-letter (``sigma conformance``)."""
    if native.UNUSED is not None:
        log.warning(f"{native.UNUSED.why}: the recording is read in pure Python, at about 40% of the speed",
                    fix=native.UNUSED.fix)
    heap = LongLivedHeap(settle_only=True)
    manifest = read_manifest(path)
    engine.partitions.update(_partition_counts(manifest))
    ends = _ends(manifest) if engine.grace is not None else None
    open_partitions = set(ends or ())
    pending = 0
    try:
        for record in read_recording(path):
            _, rejection = engine.process(record)
            if rejection is not None and rejected is not None:
                rejected(record, rejection)
            if ends is not None and record.offset + 1 >= ends.get((record.topic, record.partition), 0):
                open_partitions.discard((record.topic, record.partition))
            pending += 1
            if pending == BATCH:
                if ends is not None:
                    engine.advance(open_partitions)
                    engine.evict(open_partitions)
                heap.settle()
                if tracker is not None:
                    tracker.advance(pending)
                pending = 0
        if tracker is not None and pending:
            tracker.advance(pending)
        engine.advance(())  # every record is read: nothing holds the watermark back
    finally:
        heap.release()
    if engine.unstamped:
        log.warning(f"{engine.unstamped:,} records carry no broker append time (their topics were not "
                    "LogAppendTime when recorded): their delivery is judged by their partition's event time alone",
                    fix="record the chain from topics with message.timestamp.type=LogAppendTime")
    return engine


def _ends(manifest: dict[str, Any]) -> dict[tuple[str, int], int] | None:
    """End offset per (topic, partition) holding records, from a ``sigma record`` manifest; None when the
    manifest does not say (then nothing is evicted: a partition's end is what tells it holds back nothing)."""
    try:
        return {(topic, int(partition)): int(span[1]) for topic, parts in manifest["offsets"].items()
                for partition, span in parts.items() if int(span[0]) < int(span[1])}
    except (KeyError, AttributeError, TypeError, ValueError, IndexError):
        return None


def _partition_counts(manifest: dict[str, Any]) -> dict[str, int]:
    """Partitions per recorded topic, as the cluster had them (the manifest's ``topics``); none when it does not
    say, and then the plan's counts judge each record's partition."""
    topics = manifest.get("topics")
    if not isinstance(topics, dict):
        return {}
    return {topic: count for topic, count in topics.items() if isinstance(count, int) and count > 0}
