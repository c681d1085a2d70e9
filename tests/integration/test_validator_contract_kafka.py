"""The header and partition rules on the real broker: records a partner's client really sent, with a header left
out, doubled, foreign or disagreeing with the payload, or put on another partition than its key's, are
dead-lettered by ``sigma validate`` with their code, and ``sigma conformance --topics`` names the same records.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from runtime import clients
from runtime.topics import apply_topics
from schemas.codec import AvroSerializer
from schemas.envelope import REQUIRED_HEADERS, to_record
from schemas.events import FitToFly
from schemas.examples import example
from schemas.placement import kafka_partition
from schemas.topics import ALL_TOPICS, CHAIN_PARTITIONS
from tests.clirunner import sigma
from tests.conftest import KafkaCluster
from tests.integration.test_validator_faults import _letters

pytestmark = pytest.mark.kafka


def _cases(prefix: str) -> dict[str, tuple[Any, str, str | None]]:
    """Per test name: (record to send, expected code or "", partition to force or None)."""
    made: dict[str, tuple[Any, str, str | None]] = {}

    def record(**changes: Any) -> Any:
        event = example(FitToFly).model_copy(update={"event_id": str(uuid.uuid4()), **changes})
        return to_record(event, AvroSerializer(), prefix=prefix)

    good = record()
    made["conforming"] = (good, "", None)
    for name in REQUIRED_HEADERS:
        r = record()
        made[f"without {name}"] = (replace(r, headers=[(k, v) for k, v in r.headers if k != name]), "missing-header",
                                   None)
    r = record()
    made["ce_id twice"] = (replace(r, headers=[*r.headers, ("ce_id", dict(r.headers)["ce_id"])]), "bad-header", None)
    r = record()
    made["ce_subject"] = (replace(r, headers=[*r.headers, ("ce_subject", b"x")]), "bad-header", None)
    r = record()
    made["specversion 0.3"] = (replace(r, headers=[(k, b"0.3" if k == "ce_specversion" else v) for k, v in r.headers]),
                               "bad-header", None)
    for header, value, code in (("ce_type", b"nl.dtv.fit_to_fly.v1", "header-mismatch"),
                                ("ce_id", str(uuid.uuid4()).encode(), "header-mismatch"),
                                ("ce_source", b"/nl/dtv/sigma", "source-mismatch"),  # another partner's name
                                ("ce_dataschema", b"https://sigma.example/schemas/jsonschema/fit_to_fly/v1.json",
                                 "header-mismatch")):
        r = record()
        made[f"{header} disagrees"] = (replace(r, headers=[(k, value if k == header else v) for k, v in r.headers]),
                                       code, None)
    r = record()
    made["wrong partition"] = (r, "wrong-partition", "other")
    return made


def test_header_and_partition_rules_on_the_broker(kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    prefix = f"test-contract-{uuid.uuid4().hex[:8]}."
    settings = kafka_cluster.settings(topic_prefix=prefix)
    apply_topics(settings, [t.prefixed(prefix) for t in ALL_TOPICS])
    cases = _cases(prefix)
    producer = clients.producer(settings)
    sent: dict[str, tuple[int, int]] = {}
    for name, (record, _, force) in cases.items():
        right = kafka_partition(record.key, CHAIN_PARTITIONS)
        partition = (right + 1) % CHAIN_PARTITIONS if force else None
        meta = producer.send(record.topic, key=record.key, value=record.value, headers=record.headers,
                             partition=partition).get(timeout=30)
        assert (meta.partition == right) == (force is None), name  # the client put it where it was told
        sent[name] = (meta.partition, meta.offset)
    producer.flush()
    producer.close()

    env = {**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}
    run = sigma("validate", "--to-end", "--group", f"g-{uuid.uuid4().hex[:8]}", "--state-dir", str(tmp_path / "s"),
                "-q", "--report-json", str(tmp_path / "report.json"), env=env)
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["records"]["processed"] == 1
    assert report["records"]["dead_lettered"] == len(cases) - 1

    letters = {(int(h["dlq_partition"]), int(h["dlq_offset"])): h["dlq_error_code"]
               for h in ({k: v.decode() for k, v in letter.headers} for letter in _letters(settings, prefix))}
    expected = {sent[name]: code for name, (_, code, _) in cases.items() if code}
    assert letters == expected

    topic = f"{prefix.replace('.', '[.]')}chain[.]medical[.]fit-to-fly"
    checked = sigma("conformance", "--topics", topic, "--format", "json", env=env)
    assert checked.returncode == 1, checked.stderr
    found = {(f["partition"], f["offset"]): f["rule"] for f in json.loads(checked.stdout)["findings"]}
    assert found == expected
