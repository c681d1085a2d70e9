"""``sigma replay``: produce a recording back — same keys, headers, partitions and per-partition order.

Pacing keeps the original spacing between records, ``speed`` times faster (``None``: as fast as possible).
Timestamps are the replay's own unless ``preserve_timestamps``; then a warning says when they would fall
outside the target topic's retention (the broker would delete them at once), and a target topic that the broker
stamps with its own append time (``message.timestamp.type=LogAppendTime``, as the chain topics are) is refused
before anything is sent: the broker would replace every preserved timestamp. The target topics a replay that
preserves timestamps creates are ``CreateTime``, whatever the broker's default.

A cluster outage is waited out: the producer retries every record (idempotent, so each lands once and in
order per partition), and a check every :data:`CHECK_EVERY` seconds that the sends so far are acknowledged is
how the outage is noticed, logged once, and given up on after ``SIGMA_OUTAGE_GIVE_UP`` (``runtime.outage``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from kafka import KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaTimeoutError

from consumers.recording import RecordingError, read_manifest, read_recording
from consumers.records import ConsumedRecord
from runtime import clients
from runtime.errors import SigmaError, UsageError
from runtime.outage import Outage
from runtime.progress import Tracker
from runtime.settings import Settings
from runtime.topics import apply_topics
from schemas.topics import TopicSpec

CHECK_EVERY = 1.0
"""Seconds between checks that every send so far is acknowledged (a flush: a short pause in the stream)."""
ACK_TIMEOUT = 5.0
"""Seconds a check waits for acknowledgements before it counts as the cluster not answering (a busy machine
can take a second or two)."""


@dataclass
class ReplaySummary:
    """What was sent, per target topic, and what the filters skipped."""

    sent: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    failed: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


CREATE_TIME = {"message.timestamp.type": "CreateTime"}
"""Where preserved timestamps are kept: the producer's timestamp is the record's."""


def _retention_warnings(settings: Settings, targets: list[str], oldest_ms: dict[str, int]) -> list[str]:
    """Topics where the oldest preserved timestamp is already older than the topic keeps records; refuses
    targets that the broker stamps with its append time (nothing is sent)."""
    admin = clients.admin(settings)
    try:
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in targets],
                                           config_filter="all")
    finally:
        admin.close()
    stamped = sorted(name for name, configs in described.get("topic", {}).items()
                     if configs.get("message.timestamp.type", {}).get("value") == "LogAppendTime")
    if stamped:
        more = f" and {len(stamped) - 1} more" if len(stamped) > 1 else ""
        raise UsageError(f"the broker stamps {stamped[0]}{more} with its append time (message.timestamp.type="
                         "LogAppendTime), so --preserve-timestamps cannot keep the recorded timestamps; nothing was "
                         "sent", fix="replay into a new --prefix, whose topics the replay creates with "
                         "CreateTime, or leave out --preserve-timestamps")
    now = time.time() * 1000
    warnings = []
    for name, configs in sorted(described.get("topic", {}).items()):
        retention = int(configs.get("retention.ms", {}).get("value") or -1)
        if retention >= 0 and name in oldest_ms and oldest_ms[name] < now - retention:
            warnings.append(f"{name}: preserved timestamps older than its retention.ms={retention} "
                            "will be deleted by the broker soon after the replay")
    return warnings


def _oldest_timestamps(path: Path, targets: dict[str, str], keep: Callable[[ConsumedRecord], bool]) -> dict[str, int]:
    """The oldest timestamp to be replayed per target topic: a first pass that also checks the whole file."""
    oldest: dict[str, int] = {}
    try:
        for record in read_recording(path):
            if keep(record) and record.topic in targets:
                target = targets[record.topic]
                oldest[target] = min(oldest.get(target, record.timestamp), record.timestamp)
    except RecordingError as exc:
        raise RecordingError(f"{exc.message}; nothing was sent") from None
    return oldest


def _create_targets(settings: Settings, counts: dict[str, int], targets: dict[str, str],
                    config: dict[str, str]) -> None:
    """Create missing target topics with the recorded partition counts and ``config``; refuse ones with too
    few partitions."""
    try:
        results = apply_topics(settings, [TopicSpec(targets[t], n, "replayed", config) for t, n in counts.items()])
    except SigmaError as exc:
        raise SigmaError(f"cannot create the target topics ({exc.message}); nothing was sent",
                         fix=exc.fix or "check the --prefix and the cluster's permissions") from None
    for topic, result in zip(counts, results, strict=True):
        if result.partitions < counts[topic]:
            raise SigmaError(f"target topic {result.name} has {result.partitions} partitions, the recording "
                             f"{counts[topic]} for {topic}; nothing was sent", fix="replay into a fresh --prefix")


def _acknowledged(producer: KafkaProducer, outage: Outage) -> None:
    """Return once every send so far is acknowledged (or refused); an outage meanwhile is the outage's."""
    while True:
        try:
            producer.flush(timeout=ACK_TIMEOUT)
        except KafkaTimeoutError as exc:
            outage.failed(exc, "waiting for sends to be acknowledged")
        else:
            outage.recovered()
            return


def replay(settings: Settings, path: Path, *, speed: float | None, preserve_timestamps: bool, prefix: str,
           keep: Callable[[ConsumedRecord], bool], tracker: Tracker | None = None,
           warn: Callable[[str], None] = lambda _: None) -> ReplaySummary:
    """Replay ``path`` into ``prefix`` + each recorded topic; ``warn`` hears retention warnings before sending."""
    manifest = read_manifest(path)
    try:
        counts: dict[str, int] = {str(t): int(n) for t, n in manifest["topics"].items()}
    except (KeyError, AttributeError, TypeError, ValueError):
        raise RecordingError(f"{path}:1: the manifest has no valid \"topics\" map of partition counts") from None
    summary = ReplaySummary()
    targets: dict[str, str] = {t: prefix + t for t in counts}
    oldest = _oldest_timestamps(path, targets, keep) if preserve_timestamps else {}
    _create_targets(settings, counts, targets, CREATE_TIME if preserve_timestamps else {})
    if preserve_timestamps:
        summary.warnings = _retention_warnings(settings, list(targets.values()), oldest)
        for warning in summary.warnings:
            warn(warning)
    # the producer retries a record a little longer than the outage is waited out, so the outage gives up first
    patient = clients.patient(settings)
    producer = clients.producer(settings, **{**patient, "delivery_timeout_ms": patient["delivery_timeout_ms"]
                                             + int(2 * (CHECK_EVERY + ACK_TIMEOUT) * 1000)})
    outage = Outage(settings)
    errors: list[str] = []

    def failed(exc: BaseException) -> None:
        summary.failed += 1
        errors.append(type(exc).__name__)

    def stop(what: str, fix: str, error: type[SigmaError] = UsageError) -> SigmaError:
        """Flush what is in flight, then an error that says how many records did reach the cluster."""
        producer.flush()
        producer.close()
        delivered = sum(summary.sent.values()) - summary.failed
        return error(f"{what}; sent {delivered:,} records before the error", fix=fix)

    started = last_check = time.monotonic()
    first_ts: int | None = None
    try:
        for record in read_recording(path):
            if not keep(record):
                summary.skipped += 1
                continue
            if record.topic not in targets:
                raise RecordingError(f"{path}: record {record.topic}/{record.partition}@{record.offset} is for "
                                     "a topic the manifest does not list")
            if speed is not None:
                first_ts = record.timestamp if first_ts is None else first_ts
                pause = started + (record.timestamp - first_ts) / 1000 / speed - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
            future: Any = outage.call(partial(
                producer.send, targets[record.topic], key=record.key, value=record.value, headers=record.headers,
                partition=record.partition, timestamp_ms=record.timestamp if preserve_timestamps else None),
                f"sending to {targets[record.topic]}")
            future.add_errback(failed)
            summary.sent[targets[record.topic]] += 1
            if tracker is not None:
                tracker.advance()
            if time.monotonic() - last_check >= CHECK_EVERY:
                _acknowledged(producer, outage)
                last_check = time.monotonic()
        _acknowledged(producer, outage)
    except RecordingError as exc:
        raise stop(exc.message, "fix or re-record the file; replay into a fresh --prefix to avoid duplicates") from None
    except KeyboardInterrupt:
        raise stop("interrupted", "replay into a fresh --prefix to start over", SigmaError) from None
    except SigmaError as exc:  # an outage past the give-up time: what is in flight will not be acknowledged
        clients.abandon(producer)
        raise SigmaError(f"{exc.message}; {sum(summary.sent.values()):,} records were sent, not all acknowledged",
                         fix="bring the cluster back and replay into a fresh --prefix, or raise "
                             "SIGMA_OUTAGE_GIVE_UP") from None
    producer.close()
    summary.seconds = time.monotonic() - started
    if summary.failed:
        raise SigmaError(f"{summary.failed:,} of {sum(summary.sent.values()):,} records were not delivered "
                         f"({Counter(errors).most_common(1)[0][0]})", fix="check the cluster and retry")
    return summary
