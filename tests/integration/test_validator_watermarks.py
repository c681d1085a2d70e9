"""Findings as the chain sees them live, on the real broker: first published means final, and equal to the truth.

Why a test of its own: the final report can be right while the findings stream is wrong (a case decided before
evidence in a partition read later arrived, then replaced). Here the findings topic itself is read back, every
finding of every case, in the order they were published.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from consumers.bounded import existing_partitions, read_from_start
from runtime import clients
from schemas import topics
from tests.agreement import by_case, report_checked, truth_checked
from tests.conftest import KafkaCluster
from tests.integration.test_validator_kafka import Sim, simulate, validate
from tests.published import published_finding

pytestmark = pytest.mark.kafka


def published_findings(cluster: KafkaCluster, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Every finding on the findings topic, per case in publication order (one case, one partition)."""
    consumer = clients.consumer(cluster.settings())
    try:
        records = list(read_from_start(consumer, existing_partitions(consumer, [prefix + topics.FINDINGS])))
    finally:
        consumer.close()
    findings: dict[str, list[dict[str, Any]]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        finding = published_finding(record.value, record.headers)
        assert record.key == finding["case"].encode()
        findings.setdefault(finding["case"], []).append(finding)
    return findings


@pytest.fixture(scope="module")
def backlog(kafka_cluster: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Sim:
    return simulate(kafka_cluster, tmp_path_factory.mktemp("backlog"), 4_000, "inspectie-2018", seed=15)


def test_a_backlog_read_to_the_end_publishes_each_finding_once_and_equal_to_the_truth(
        kafka_cluster: KafkaCluster, backlog: Sim, tmp_path: Path) -> None:
    """Partitions are read at different paces, yet every case's first finding is its last and equals the
    truth: no finding changes because of read order (the global watermark this replaced changed hundreds)."""
    report = validate(backlog, tmp_path, "-q")
    findings = published_findings(kafka_cluster, backlog.prefix)
    truth = truth_checked(backlog.truth)
    assert len(truth) > 600
    assert report_checked(report) == truth
    changed = {case: [(f["revision"], f["reason"]) for f in published] for case, published in findings.items()
               if len(published) > 1}
    assert changed == {}
    assert by_case(published[0] for published in findings.values()) == truth
    assert all(published[0]["revision"] == 0 and published[0]["reason"] is None for published in findings.values())
    assert report["late_deliveries"] == {}
