"""A finding withdrawn on the real broker: a cancellation recorded before the checkpoint but delivered after the
case was decided means the case was never to be checked, so the live validator withdraws its finding with a
tombstone on the compacted findings topic, saying why; its own report and the group's (``sigma report
--group``, from the findings topic) then agree that nothing was checked. Before, the first finding stood on the
topic for good (the three-node cluster test once failed so: a group's report listed a case the truth did not
check)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from runtime.settings import Settings
from schemas.events import CancellationReason, FlightBooking
from schemas.events.flight import BookingStatus
from tests.backdating import on_time
from tests.clirunner import SIGMA, sigma
from tests.conftest import KafkaCluster
from tests.integration.test_validator_arrival import _send
from tests.integration.test_validator_watermarks import published_findings
from tests.published import check_report

pytestmark = pytest.mark.kafka
CHECKPOINT = datetime(2024, 3, 4, 9, 30, tzinfo=UTC)


def _await_findings(settings: Settings, prefix: str, count: int, validator: subprocess.Popen[str]) -> list[Any]:
    """The case's findings (withdrawals included) once there are ``count`` of them (read_committed)."""
    deadline = time.monotonic() + 60
    while True:
        found = [f for published in published_findings(settings, prefix).values() for f in published]
        if len(found) >= count:
            return found
        assert validator.poll() is None, validator.communicate()[1]
        assert time.monotonic() < deadline, f"{len(found)} of {count} findings after 60 s"
        time.sleep(0.3)


def test_a_cancellation_delivered_after_the_decision_withdraws_the_finding(kafka_cluster: KafkaCluster,
                                                                          tmp_path: Path) -> None:
    prefix = f"test-withdraw-{uuid.uuid4().hex[:8]}."
    env = {**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}
    created = sigma("topics", "apply", env=env)
    assert created.returncode == 0, created.stderr
    settings = kafka_cluster.settings()
    group, report_file = f"g-{uuid.uuid4().hex[:8]}", tmp_path / "live.json"
    handover, booking, moves_on = on_time(CHECKPOINT)  # event time moves 5 h past the checkpoint: decided
    _send(settings, prefix, [handover, booking, moves_on])
    validator = subprocess.Popen(
        [SIGMA, "validate", "--group", group, "--state-dir", str(tmp_path / "state"), "--idle-timeout", "0.2",
         "--snapshot-interval", "0.2", "--report-json", str(report_file), "-q"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        [first] = _await_findings(settings, prefix, 1, validator)
        assert (first["revision"], first["checkpoint"]) == (0, CHECKPOINT.isoformat())
        cancelled = booking.model_copy(update={
            "event_id": str(uuid.uuid4()), "status": BookingStatus.CANCELLED,
            "cancellation_reason": CancellationReason.ABSCONDED,
            "recorded_at": CHECKPOINT - timedelta(hours=2), "occurred_at": CHECKPOINT - timedelta(hours=2)})
        assert isinstance(cancelled, FlightBooking)
        _send(settings, prefix, [cancelled])  # recorded before the checkpoint, delivered after the decision
        found = _await_findings(settings, prefix, 2, validator)
        time.sleep(1)  # the report file is rewritten at the next snapshot after the withdrawal's commit
        validator.send_signal(signal.SIGINT)
        assert validator.wait(timeout=60) == 130, validator.communicate()[1]
    finally:
        if validator.poll() is None:
            validator.kill()
    assert found[1] == {"case": first["case"], "checkpoint": first["checkpoint"], "revision": None,
                        "withdrawn": "late arrival from DTV (flight_booking), recorded 2 h before the checkpoint, "
                                     "delivered 5 h after"}
    assert len(published_findings(settings, prefix)[first["case"]]) == 2  # withdrawn once, nothing after it
    live = check_report(json.loads(report_file.read_text()))
    out = tmp_path / "group.json"
    grouped = sigma("report", "--group", group, "--report-json", str(out), "-q", env=env)
    assert grouped.returncode == 0, grouped.stderr
    for report in (live, check_report(json.loads(out.read_text()))):
        assert (report["cases_checked"], report["cases"]) == (0, [])
