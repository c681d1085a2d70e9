"""The validator on a recording, with no broker: the same engine, so the same report as online (for CI)."""

from __future__ import annotations

from pathlib import Path

import structlog

from consumers.recording import read_manifest, read_recording
from runtime.progress import Tracker
from schemas import native
from schemas.topics import CHAIN_TOPICS
from validator.engine import Engine
from validator.heap import LongLivedHeap

log = structlog.get_logger(__name__)

BATCH = 5000
"""Records between progress updates and heap settling (as one online poll)."""


def recorded_prefix(path: Path, fallback: str) -> str:
    """The topic prefix the recording's chain topics carry when they all carry the same one, else ``fallback``.

    Why: a recording of a demo run holds ``demo-<run>.chain.case`` and so on, and the engine dead-letters a
    record found on another topic than its subject's. The names in the file are facts; the prefix in effect
    when validating it later (another run's, or none) is not, so the recording's own prefix is used.
    """
    found: set[str] = set()
    topics: dict[str, int] = read_manifest(path).get("topics", {})
    for topic in topics:
        found.update(topic[: -len(spec.name)] for spec in CHAIN_TOPICS if topic.endswith(spec.name))
    if len(found) == 1:
        return found.pop()
    return fallback


def validate_recording(path: Path, engine: Engine, tracker: Tracker | None = None) -> Engine:
    """Feed every record of the recording at ``path`` to ``engine``; recording errors name the line."""
    if native.UNUSED is not None:
        log.warning(f"{native.UNUSED.why}: the recording is read in pure Python, at about half the speed",
                    fix=native.UNUSED.fix)
    heap = LongLivedHeap()
    pending = 0
    try:
        for record in read_recording(path):
            engine.process(record)
            pending += 1
            if pending == BATCH:
                heap.settle()
                if tracker is not None:
                    tracker.advance(pending)
                pending = 0
        if tracker is not None and pending:
            tracker.advance(pending)
    finally:
        heap.release()
    return engine
