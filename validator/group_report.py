"""The report of a whole validator group, from what the group committed to Kafka (``sigma report --group``).

Why: each member of a group reports only the cases of the partitions it held at the end, and a member that
restored from the changelog lacks the verdicts of cases evicted before. What the group committed is complete:
the findings topic holds the latest finding of every case it judged (compacted, keyed by case), and the
group's changelog the state of its open cases and one record per input partition with that partition's
counts. Both are written in the group's transactions, so both are read ``read_committed``: a member killed
mid-interval adds nothing its partitions' next owner does not redo.

The findings topic is shared by every validator group under one topic prefix; this report takes the latest
finding of each case whichever group published it, so it is the group's report while one group publishes
there.
"""

from __future__ import annotations

from typing import Any

from kafka import TopicPartition

from consumers.bounded import existing_partitions, partitions_of, read_from_start
from runtime import clients
from runtime.errors import SigmaError
from runtime.settings import Settings
from schemas import topics
from schemas.findings import ValidationFinding
from validator import changelog, changelog_kafka
from validator.engine import Engine
from validator.report.model import build_report
from validator.rules import Finding, Verdict


def group_report(settings: Settings, group: str, engine: Engine) -> dict[str, Any]:
    """The report of validator group ``group`` under ``settings.topic_prefix``; ``engine`` (configured as the
    group's members were: checkpoint, lateness, event clock) is given the group's committed state, for the
    HTML pages of its open cases."""
    prefix = settings.topic_prefix
    consumer = clients.consumer(settings, isolation_level="read_committed")
    try:
        name = changelog_kafka.name(prefix, group)
        partitions = partitions_of(consumer, name)
        if not partitions:
            raise SigmaError(f"validator group {group} has no changelog topic {name} under this prefix",
                             fix="run `sigma validate --group` with that group (and the same SIGMA_TOPIC_PREFIX) "
                                 "first")
        engine.state = changelog.restore(changelog_kafka.read(consumer, partitions)).state
        verdicts = latest_verdicts(consumer, existing_partitions(consumer, [prefix + topics.FINDINGS]))
    finally:
        consumer.close()
    return build_report(verdicts, engine.state.counters,
                        checkpoint_hours=engine.checkpoint_before.total_seconds() / 3600,
                        dead_letters=engine.rejection_summary(), unknown_cases=engine.unknown_cases(),
                        late_deliveries=engine.late_deliveries())


def latest_verdicts(consumer: Any, partitions: list[TopicPartition]) -> list[Verdict]:
    """The verdict of each case's latest finding on the findings topic ``partitions``, sorted by case key (the
    order of a validator's own report); a case whose finding was withdrawn since (a tombstone) has none."""
    latest: dict[str, ValidationFinding] = {}
    for record in read_from_start(consumer, partitions):  # a case's findings are on one partition, in order
        if record.value is None:
            latest.pop((record.key or b"").decode(), None)
            continue
        finding = ValidationFinding.model_validate_json(record.value)
        latest[finding.case] = finding
    return [_verdict(latest[case]) for case in sorted(latest)]


def _verdict(finding: ValidationFinding) -> Verdict:
    defects = tuple(Finding(d.rule, d.category.value, d.partner.value, d.kind.value) for d in finding.defects)
    return Verdict(finding.case, finding.departure, finding.checkpoint, defects)
