"""After a demo run, the follow-up commands find its topics without the user typing the prefix; a run's
topics are deleted by prefix. The steps are `make demo`'s, on the real broker, with a home of their own."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from consumers.recording import read_manifest
from runtime import clients
from runtime.topics import existing_topics
from schemas import topics
from schemas.events import FitToFly, Partner
from schemas.topics import ALL_TOPICS, CHAIN_TOPICS
from tests.clirunner import sigma
from tests.conftest import KafkaCluster

pytestmark = pytest.mark.kafka


def _ok(*args: str, env: dict[str, str], **kw: Any) -> str:
    result = sigma(*args, env={**env, "COLUMNS": "250"}, **kw)
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


def test_follow_up_commands_use_the_demo_prefix_and_delete_removes_its_topics(
        kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    prefix = f"demo-{uuid.uuid4().hex[:10]}."
    home = {**kafka_cluster.env(), "SIGMA_HOME": str(tmp_path / "home")}
    run = {**home, "SIGMA_TOPIC_PREFIX": prefix}
    no_prefix = ("SIGMA_TOPIC_PREFIX",)
    # make demo: topics, context, simulate, validate (the Makefile passes the prefix to these itself)
    _ok("topics", "apply", env=run)
    _ok("context", "set", "--topic-prefix", prefix, "--set-by", "make demo", env=home)
    _ok("simulate", "--cases", "300", "--seed", "7", "--truth", str(tmp_path / "truth.jsonl"), env=run)
    producer = clients.producer(kafka_cluster.settings())
    producer.send(prefix + FitToFly.topic_of(Partner.MEDICAL), key=b"ck_" + b"0" * 24, value=b"not avro")
    producer.flush()
    producer.close()
    online = tmp_path / "online.json"
    _ok("validate", "--to-end", "--group", prefix, "--report-json", str(online), "-q", env=run)
    report = json.loads(online.read_text())
    assert report["cases_defective"] > 0 and report["dead_letters"] == {"not-avro": 1}

    # what the user types next, with no prefix anywhere
    case = next(c for c in report["cases"] if c["defects"])
    shown = _ok("dossier", case["case"], env=home, drop=no_prefix)
    assert f"Dossier {case['case']}" in shown and case["defects"][0]["rule"] in shown
    letters = _ok("dlq", "list", env=home, drop=no_prefix)
    assert f"{prefix}{FitToFly.topic_of(Partner.MEDICAL)}" in letters and "1 dead letters in 1 groups" in letters
    recording = tmp_path / "demo.jsonl"
    _ok("record", "--out", str(recording), "--to-end", env=home, drop=no_prefix)
    assert sorted(read_manifest(recording)["topics"]) == sorted(prefix + t.name for t in CHAIN_TOPICS)

    # the recording is validated under its own prefix, whatever the context says by then
    _ok("context", "set", "--topic-prefix", "another-run.", env=home)
    offline = tmp_path / "offline.json"
    _ok("validate", "--from-file", str(recording), "--report-json", str(offline), "-q", env=home, drop=no_prefix)
    assert json.loads(offline.read_text()) == report
    assert f"Dossier {case['case']}" in _ok("dossier", case["case"], "--from-file", str(recording), env=home,
                                            drop=no_prefix)

    # a prefix without topics is named, with where it came from and where the topics are
    missing = sigma("dlq", "list", env=home, drop=no_prefix)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    context_file = tmp_path / "home" / "context.json"
    assert missing.stderr.startswith(f"sigma: error: topic another-run.{topics.DLQ} does not exist (topic prefix "
                                     f"'another-run.', from the context file {context_file}): it exists under ")
    assert "`sigma context set --topic-prefix P`" in missing.stderr  # which prefixes: tests/unit, on a busy broker

    # sigma's own output topics are recorded only when asked for
    pattern = re.escape(prefix) + r"chain\..*"
    chain_only = tmp_path / "chain.jsonl"
    _ok("record", "--topics", pattern, "--out", str(chain_only), "--to-end", env=home)
    assert len(read_manifest(chain_only)["topics"]) == len(CHAIN_TOPICS)
    everything = tmp_path / "everything.jsonl"
    _ok("record", "--topics", pattern, "--out", str(everything), "--to-end", "--include-outputs", env=home)
    assert sorted(read_manifest(everything)["topics"]) == sorted(prefix + t.name for t in ALL_TOPICS)

    # make demo-clean: the run's topics go (its validator group's changelog too), and the context that named them
    _ok("context", "set", "--topic-prefix", prefix, env=home)
    deleted = _ok("topics", "delete", "--prefix", prefix, "--yes", env=home)
    assert f"{len(ALL_TOPICS) + 1:>3} topics under {prefix!r}" in deleted
    assert "context cleared" in deleted and not context_file.exists()
    deadline = time.monotonic() + 60  # deletion is asynchronous in Kafka
    while any(t.startswith(prefix) for t in existing_topics(kafka_cluster.settings())):
        assert time.monotonic() < deadline, "topics still listed a minute after their deletion"
        time.sleep(0.5)
    assert "no chain topics under" in _ok("topics", "delete", "--prefix", prefix, "--yes", env=home)
