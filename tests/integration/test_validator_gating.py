"""CI gating on the real broker: `sigma validate --to-end` and `--from-file` of a `sigma record` recording stop a
pipeline on the same limits with the same line, and a run that read nothing names the prefix it read under."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from schemas.topics import CHAIN_TOPICS
from tests.clirunner import sigma
from tests.conftest import KafkaCluster
from tests.integration.test_validator_kafka import Sim, simulate
from tests.unit.test_sigma_cli_errors import one_error

pytestmark = pytest.mark.kafka

LIMITS = ("--fail-on-defect-rate", "10%", "--fail-on-dead-letters", "0")


@pytest.fixture(scope="module")
def run(kafka_cluster: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Sim:
    """300 cases of the 2018 profile in a sandbox prefix of their own."""
    return simulate(kafka_cluster, tmp_path_factory.mktemp("gating"), 300, "inspectie-2018", seed=15)


def _recorded(env: dict[str, str], out: Path, *topics: str) -> Path:
    result = sigma("record", "--out", str(out), "--to-end", *(("--topics", topics[0]) if topics else ()), env=env)
    assert result.returncode == 0, result.stderr
    return out


def _expected_line(report: dict[str, Any]) -> str:
    """What the README documents for a defect rate above 10% and no dead letter."""
    checked, defective = report["cases_checked"], report["cases_defective"]
    rate = 100 * defective / checked
    return (f"sigma: error: defect rate {rate:.1f}% ({defective} of {checked} checked cases) exceeds "
            f"--fail-on-defect-rate 10.0% by {rate - 10:.1f} points: the report lists the defective cases and the "
            "rules they broke (`sigma dossier CASE` shows one)")


def test_online_and_its_recording_under_another_prefix_fail_the_same_limit_with_the_same_line(
        run: Sim, tmp_path: Path) -> None:
    online = tmp_path / "online.json"
    result = sigma("validate", "--to-end", "--group", f"g-{uuid.uuid4().hex[:8]}", "--state-dir",
                   str(tmp_path / "state"), "--report-json", str(online), "-q", *LIMITS, env=run.env)
    line = one_error(result, 1)
    report = json.loads(online.read_text())  # written before the exit
    assert report["cases_checked"] > 30 and report["defect_rate"] > 0.1 and report["records"]["dead_lettered"] == 0
    assert line == _expected_line(report)

    recording = _recorded(run.env, tmp_path / "run.jsonl")
    offline = tmp_path / "offline.json"
    elsewhere = {**run.env, "SIGMA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "SIGMA_TOPIC_PREFIX": "another-run."}
    result = sigma("validate", "--from-file", str(recording), "--report-json", str(offline), "-q", *LIMITS,
                   env=elsewhere)
    assert one_error(result, 1) == line  # read under the recording's own prefix, not the one in effect
    assert json.loads(offline.read_text()) == report
    passed = sigma("validate", "--from-file", str(recording), "-q", "--fail-on-defect-rate", "100%",
                   "--fail-on-dead-letters", "0", env=elsewhere)
    assert passed.returncode == 0 and passed.stderr == "", passed.stderr


def test_topics_without_records_fail_online_and_recorded_naming_the_prefix(
        kafka_cluster: KafkaCluster, chain_prefix: str, tmp_path: Path) -> None:
    env = {**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": chain_prefix}
    report = tmp_path / "online.json"
    result = sigma("validate", "--to-end", "--group", f"g-{uuid.uuid4().hex[:8]}", "--state-dir",
                   str(tmp_path / "state"), "--report-json", str(report), "-q", *LIMITS, env=env)
    assert one_error(result, 2) == (
        f"sigma: error: the chain topics hold no records (topic prefix {chain_prefix!r}, from SIGMA_TOPIC_PREFIX): "
        "nothing was validated: publish to them first, or choose the prefix of a run that has records with "
        "`sigma context set --topic-prefix P` or SIGMA_TOPIC_PREFIX")
    assert json.loads(report.read_text())["records"]["consumed"] == 0

    recording = _recorded(env, tmp_path / "empty.jsonl")
    result = sigma("validate", "--from-file", str(recording), "-q", env=env)
    assert one_error(result, 2) == (
        f"sigma: error: {recording} holds no records (recorded from {len(CHAIN_TOPICS)} topics under topic prefix "
        f"{chain_prefix!r}): nothing was validated: record topics that hold records: `sigma record --out FILE "
        "--to-end` reads the chain topics under the topic prefix in effect (`sigma context` shows it)")


def test_a_recording_of_two_prefixes_validated_under_a_third_names_all_three(
        run: Sim, kafka_cluster: KafkaCluster, chain_prefix: str, tmp_path: Path) -> None:
    """`sigma record --topics` over two runs' chain topics (one of them empty): the recording carries no one prefix,
    so it is read under the prefix in effect, where none of its records belongs."""
    # the chain's topics, findings and dead letters; not the validator groups' changelogs (no events there)
    both = f"({re.escape(run.prefix)}|{re.escape(chain_prefix)})chain\\.(?!validation\\.changelog\\.).*"
    recording = _recorded(run.env, tmp_path / "two.jsonl", both)
    result = sigma("validate", "--from-file", str(recording), "-q", *LIMITS,
                   env={"SIGMA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "SIGMA_TOPIC_PREFIX": "third."})
    line = one_error(result, 2)
    first, second = sorted((run.prefix, chain_prefix))
    assert re.fullmatch(
        f"sigma: error: every record of {re.escape(str(recording))} was dead-lettered, most as wrong-topic "
        r"\((\d+) of \1\): its chain topics carry the prefixes "
        f"{re.escape(repr(first))}, {re.escape(repr(second))}, so it was read under topic prefix 'third.', from "
        r"SIGMA_TOPIC_PREFIX: record one run's chain topics: .*", line), line
