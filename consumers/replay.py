"""``sigma replay``: produce a recording back — same keys, headers, partitions and per-partition order.

Pacing keeps the original spacing between records, ``speed`` times faster (``None``: as fast as possible).
Timestamps are the replay's own unless ``preserve_timestamps``; then a warning says when they would fall
outside the target topic's retention (the broker would delete them at once).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from kafka.admin import ConfigResource, ConfigResourceType

from consumers.recording import RecordingError, read_manifest, read_recording
from consumers.records import ConsumedRecord
from schemas.topics import TopicSpec
from sigma import clients
from sigma.errors import SigmaError, UsageError
from sigma.progress import Tracker
from sigma.settings import Settings
from sigma.topics import apply_topics

log = structlog.get_logger(__name__)


@dataclass
class ReplaySummary:
    """What was sent, per target topic, and what the filters skipped."""

    sent: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    failed: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _retention_warnings(settings: Settings, targets: list[str], oldest_ms: dict[str, int]) -> list[str]:
    """Topics where the oldest preserved timestamp is already older than the topic keeps records."""
    admin = clients.admin(settings)
    try:
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in targets],
                                           config_filter="all")
    finally:
        admin.close()
    now = time.time() * 1000
    warnings = []
    for name, configs in sorted(described.get("topic", {}).items()):
        retention = int(configs.get("retention.ms", {}).get("value") or -1)
        if retention >= 0 and name in oldest_ms and oldest_ms[name] < now - retention:
            warnings.append(f"{name}: preserved timestamps older than its retention.ms={retention} "
                            "will be deleted by the broker soon after the replay")
    return warnings


def replay(settings: Settings, path: Path, *, speed: float | None, preserve_timestamps: bool, prefix: str,
           keep: Callable[[ConsumedRecord], bool], tracker: Tracker | None = None) -> ReplaySummary:
    """Replay ``path`` into ``prefix`` + each recorded topic."""
    manifest = read_manifest(path)
    counts: dict[str, int] = {str(t): int(n) for t, n in manifest.get("topics", {}).items()}
    summary = ReplaySummary()
    targets: dict[str, str] = {t: prefix + t for t in counts}
    results = apply_topics(settings, [TopicSpec(targets[t], n, "replayed") for t, n in counts.items()])
    short = [r for r in results if r.partitions < counts[r.name.removeprefix(prefix)]]
    if short:
        raise SigmaError(f"target topic {short[0].name} has {short[0].partitions} partitions, the recording "
                         f"{counts[short[0].name.removeprefix(prefix)]}", fix="replay into a fresh --prefix")
    if preserve_timestamps:
        oldest: dict[str, int] = {}
        for record in read_recording(path):
            if keep(record):
                target = targets[record.topic]
                oldest[target] = min(oldest.get(target, record.timestamp), record.timestamp)
        summary.warnings = _retention_warnings(settings, list(targets.values()), oldest)
        for warning in summary.warnings:
            log.warning("timestamps outside retention", detail=warning)
    producer = clients.producer(settings)
    errors: list[str] = []

    def failed(exc: BaseException) -> None:
        summary.failed += 1
        errors.append(type(exc).__name__)

    started = time.monotonic()
    first_ts: int | None = None
    try:
        for record in read_recording(path):
            if not keep(record):
                summary.skipped += 1
                continue
            if speed is not None:
                first_ts = record.timestamp if first_ts is None else first_ts
                due = started + (record.timestamp - first_ts) / 1000 / speed
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
            if record.topic not in targets:
                raise RecordingError(f"{path}: record for topic {record.topic} not listed in the manifest")
            target = targets[record.topic]
            future: Any = producer.send(target, key=record.key, value=record.value, headers=record.headers,
                                        partition=record.partition,
                                        timestamp_ms=record.timestamp if preserve_timestamps else None)
            future.add_errback(failed)
            summary.sent[target] += 1
            if tracker is not None:
                tracker.advance()
    except RecordingError as exc:
        producer.flush()
        producer.close()
        raise UsageError(f"{exc.message}; sent {sum(summary.sent.values())} records before the error",
                         fix="fix or re-record the file; replay into a fresh --prefix to avoid duplicates") from None
    producer.flush()
    producer.close()
    summary.seconds = time.monotonic() - started
    if summary.failed:
        raise SigmaError(f"{summary.failed} of {sum(summary.sent.values())} records were not delivered "
                         f"({Counter(errors).most_common(1)[0][0]})", fix="check the cluster and retry")
    return summary
