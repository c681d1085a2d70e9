"""Fault injection on a real broker: poison records, a dead-letter topic that refuses or is missing,
duplicates, a fuzzed stream, and a broker stopped and restarted mid-run.

What each test covers:

* poison kinds (shared broker): a record near the size limit, a header key that is not UTF-8, batches
  compressed with lz4 and snappy, transactions committed and aborted (control records) — each poison
  record dead-lettered, the validator finishing, every letter in the DLQ topic;
* a batch whose codec library is missing here (shared broker, validator in-process with kafka-python's
  lz4 check answering "not installed"): dead-lettered as one unreadable batch with its offsets;
* a DLQ that refuses letters (its ``max.message.bytes`` too small) stops the validator with one line and
  exit 1, committing nothing past the letter; once fixed, the run resumes and the letter is there; a DLQ
  topic that does not exist is one line too;
* 20,000 copies of one event leave the report's judgements and the snapshot's size unchanged;
* 3,000 fuzzed records (the mutations of ``tests/unit/test_validator_fuzz.py``, which runs 100,000 without
  a broker) through the broker: full accounting, and every dead letter present in the DLQ topic;
* a producer stuck in a commit (injected) is replaced in the loop: its transaction aborted, every finding once;
* broker outages (a broker of its own, never the shared one, always stopped at the end): stopped and
  restarted during a ``--to-end`` run and during an online run, each ends with the report of an undisturbed
  run, the outage logged once; an outage longer than ``SIGMA_OUTAGE_GIVE_UP`` ends the run with one line.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import confluent_kafka
import pytest
from kafka import TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType
from structlog.testing import capture_logs

from bench.streams import chain_records
from consumers.bounded import chain_partitions, existing_partitions, read_from_start
from runtime import clients, transactions
from runtime.broker.embedded import EmbeddedBroker
from runtime.poison import RawHeaderKey
from runtime.settings import Settings
from runtime.topics import apply_topics
from schemas import topics
from schemas.codec import AvroSerializer
from schemas.envelope import to_record
from schemas.events import Belongings, FitToFly, Partner
from schemas.examples import example
from schemas.topics import ALL_TOPICS, CHAIN_PARTITIONS, CHAIN_TOPICS, OUTPUT_TOPICS, TopicSpec
from tests.agreement import last_at_truth_checkpoint, published_twice, truth_checked
from tests.clirunner import SIGMA, sigma
from tests.conftest import KafkaCluster
from tests.integration.test_validator_kafka import Sim, simulate
from tests.integration.test_validator_watermarks import published_findings
from tests.published import check_report
from tests.unit.test_validator_fuzz import mutate
from validator import state as snapshots

pytestmark = pytest.mark.kafka


def _validate(env: dict[str, str], tmp: Path, group: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return sigma("validate", "--to-end", "--group", group, "--state-dir", str(tmp / "state"), "-q",
                 "--report-json", str(tmp / f"{group}.json"), *extra, env=env)


def _report(tmp: Path, group: str) -> dict[str, Any]:
    return check_report(json.loads((tmp / f"{group}.json").read_text()))


def _letters(settings: Settings, prefix: str) -> list[Any]:
    consumer = clients.consumer(settings)
    dlq = [TopicPartition(prefix + topics.DLQ, p) for p in range(3)]
    consumer.assign(dlq)
    consumer.seek_to_beginning(*dlq)
    end = consumer.end_offsets(dlq)
    letters: list[Any] = []
    while any(consumer.position(tp) < end[tp] for tp in dlq):
        for batch in consumer.poll(timeout_ms=500).values():
            letters += batch
    consumer.close()
    return letters


def _fit_to_fly(prefix: str, n: int) -> list[Any]:
    """``n`` distinct valid events of a case that was never handed over (the examples' case)."""
    base = example(FitToFly)
    return [to_record(base.model_copy(update={"event_id": str(uuid.uuid4())}), AvroSerializer(), prefix=prefix)
            for _ in range(n)]


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("sigma: error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_every_poison_kind_is_dead_lettered_and_the_validator_finishes(kafka_cluster: KafkaCluster,
                                                                        tmp_path: Path) -> None:
    sim = simulate(kafka_cluster, tmp_path, 100, "ideal")
    settings = kafka_cluster.settings(topic_prefix=sim.prefix)
    topic = sim.prefix + FitToFly.topic_of(Partner.MEDICAL)
    valid = _fit_to_fly(sim.prefix, 10)
    producer = clients.producer(settings)
    producer.send(topic, key=valid[0].key, value=b"g" * 1_040_000)  # a letter of it would not fit
    bad_key = RawHeaderKey(b"\xff\xfeorigin".decode("utf-8", "surrogateescape"))
    producer.send(topic, key=valid[1].key, value=valid[1].value, headers=[*valid[1].headers, (bad_key, b"x")])
    producer.flush()
    producer.close()
    for codec, records in (("lz4", valid[2:4]), ("snappy", valid[4:6])):
        compressed = confluent_kafka.Producer({**kafka_cluster.librdkafka(),  # Java's partitioner,
                                               "partitioner": "murmur2_random",  # as the wire contract asks
                                               "compression.type": codec, "linger.ms": 50})
        for r in records:
            compressed.produce(topic, key=r.key, value=r.value, headers=r.headers)
        assert compressed.flush(30) == 0
    for commit, records in ((True, valid[6:8]), (False, valid[8:10])):
        txn = confluent_kafka.Producer({**kafka_cluster.librdkafka(), "partitioner": "murmur2_random",
                                        "transactional.id": f"t-{uuid.uuid4().hex[:8]}"})
        txn.init_transactions(30)
        txn.begin_transaction()
        for r in records:
            txn.produce(topic, key=r.key, value=r.value, headers=r.headers)
        (txn.commit_transaction if commit else txn.abort_transaction)(30)

    result = _validate(sim.env, tmp_path, "g-poison")
    assert result.returncode == 0, result.stderr
    report = _report(tmp_path, "g-poison")
    rec = report["records"]
    assert report["dead_letters"] == {"header-key-not-utf8": 1, "not-avro": 1}
    assert rec["consumed"] == rec["processed"] + rec["duplicates"] + rec["dead_lettered"]
    assert report["unknown_cases"] == {"cases": 1, "events": 6}  # lz4, snappy, committed; aborted not read
    letters = {dict(m.headers)["dlq_error_code"]: m for m in _letters(settings, sim.prefix)}
    assert set(letters) == {b"not-avro", b"header-key-not-utf8"}
    big = dict(letters[b"not-avro"].headers)
    assert big["dlq_truncated"] == b"value=1040000" and big["dlq_topic"] == topic.encode()
    assert 0 < len(letters[b"not-avro"].value) < 1_000_000
    raw = letters[b"header-key-not-utf8"]
    assert [k.encode() for k, _ in raw.headers][len(valid[1].headers)] == b"\xff\xfeorigin"
    assert raw.value == valid[1].value and raw.key == valid[1].key


def test_a_batch_whose_codec_is_missing_is_one_unreadable_dead_letter(
        kafka_cluster: KafkaCluster, chain_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kafka.codec

    from validator.online import OnlineOptions, OnlineValidator

    settings = kafka_cluster.settings(topic_prefix=chain_prefix)
    topic = chain_prefix + FitToFly.topic_of(Partner.MEDICAL)
    compressed = confluent_kafka.Producer({**kafka_cluster.librdkafka(),
                                           "compression.type": "lz4", "linger.ms": 200})
    for r in _fit_to_fly(chain_prefix, 3):
        compressed.produce(topic, key=r.key, value=r.value, headers=r.headers, partition=0)
    assert compressed.flush(30) == 0
    monkeypatch.setattr(kafka.codec, "has_lz4", lambda: False)  # as on a machine without the lz4 library
    engine = OnlineValidator(settings, OnlineOptions(group=f"g-{uuid.uuid4().hex[:8]}", to_end=True,
                                                     state_dir=tmp_path, publish_findings=False)).run()
    assert engine.state.counters.to_json() == {"consumed": 1, "processed": 0, "duplicates": 0, "dead_lettered": 1}
    [letter] = _letters(settings, chain_prefix)
    headers = dict(letter.headers)
    assert headers["dlq_error_code"] == b"unreadable-batch" and headers["dlq_stage"] == b"decode"
    assert (headers["dlq_first_offset"], headers["dlq_last_offset"], headers["dlq_offset"]) == (b"0", b"2", b"2")
    assert letter.key is None and len(letter.value) > 0


def test_a_dead_letter_topic_that_refuses_letters_stops_the_validator_without_committing_past_them(
        kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    prefix = f"test-dlq-{uuid.uuid4().hex[:8]}."
    settings = kafka_cluster.settings(topic_prefix=prefix)
    small = [TopicSpec(prefix + topics.DLQ, 3, "refuses letters over 2000 bytes", {"max.message.bytes": "2000"})]
    apply_topics(settings, [t.prefixed(prefix) for t in (*CHAIN_TOPICS, OUTPUT_TOPICS[0])] + small)
    env = {**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}
    topic = prefix + FitToFly.topic_of(Partner.MEDICAL)
    valid = _fit_to_fly(prefix, 2)
    producer = clients.producer(settings)  # each record on its key's partition (the validator checks it)
    sent = [producer.send(topic, key=r.key, value=v, headers=r.headers).get(30)
            for r, v in ((valid[0], valid[0].value), (valid[0], b"x" * 5000), (valid[1], valid[1].value))]
    producer.close()
    bad_partition, bad_offset = sent[1].partition, sent[1].offset

    refused = _validate(env, tmp_path, "g-refused")
    assert refused.returncode == 1
    line = _one_line_error(refused)
    assert f"refused the dead letter of {topic}/{bad_partition}@{bad_offset}" in line and "max.message.bytes" in line
    consumer = clients.consumer(settings, group_id="g-refused")
    committed = consumer.committed(TopicPartition(topic, bad_partition))
    consumer.close()
    assert committed is None or committed <= bad_offset
    assert _letters(settings, prefix) == []

    admin = clients.admin(settings)
    admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, prefix + topics.DLQ,
                                        configs={"max.message.bytes": "1048588"})])
    admin.close()
    deadline = time.monotonic() + 60
    resumed = _validate(env, tmp_path, "g-refused")
    while resumed.returncode == 1 and "refused the dead letter" in resumed.stderr:
        # the broker applies a topic config change asynchronously; a run refused again commits nothing past it
        assert time.monotonic() < deadline, "the DLQ still refuses the letter 60 s after its limit was raised"
        time.sleep(0.5)
        resumed = _validate(env, tmp_path, "g-refused")
    assert resumed.returncode == 0, resumed.stderr
    rec = _report(tmp_path, "g-refused")["records"]
    assert (rec["processed"], rec["dead_lettered"]) == (2, 1)
    [letter] = _letters(settings, prefix)
    assert dict(letter.headers)["dlq_offset"] == str(bad_offset).encode() and letter.value == b"x" * 5000


def test_a_missing_dead_letter_topic_is_one_line(kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    prefix = f"test-nodlq-{uuid.uuid4().hex[:8]}."
    apply_topics(kafka_cluster.settings(), [t.prefixed(prefix) for t in (*CHAIN_TOPICS, OUTPUT_TOPICS[0])])
    env = {**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}
    result = _validate(env, tmp_path, "g-nodlq")
    assert result.returncode == 1
    assert f"topic {prefix}chain.dlq does not exist" in _one_line_error(result)


def test_a_stuck_producer_is_replaced_and_its_transaction_never_counts(
        kafka_cluster: KafkaCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A producer whose commit goes unanswered while the cluster answers (``runtime.transactions``: seen after a
    node kill) is replaced in the loop (``_renew``): the new one fences it, what its transaction held (findings
    among it) is aborted, and the run resumes from the last commit, so every finding is there once and the last
    of each case is the truth's. The stuck commit is injected; the replacement, fencing and resume are real."""
    from validator.online import OnlineOptions, OnlineValidator

    sim = simulate(kafka_cluster, tmp_path, 1_000, "inspectie-2018")
    settings = kafka_cluster.settings(topic_prefix=sim.prefix)
    validator = OnlineValidator(settings, OnlineOptions(group=f"g-{uuid.uuid4().hex[:8]}", to_end=True,
                                                        state_dir=tmp_path, snapshot_interval=0.2))
    real, stuck = transactions.commit, []

    def commit(producer: Any, outage: Any, answers: Any = None) -> None:
        if not stuck and validator._sent:  # the first transaction holding findings never gets its answer
            stuck.append(producer)
            raise transactions.StuckProducerError("no answer for 30 s while committing the transaction (injected)")
        real(producer, outage, answers)

    monkeypatch.setattr(transactions, "commit", commit)
    with capture_logs() as logs:
        validator.run()
    assert len(stuck) == 1 and validator.producer is not stuck[0]
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
        "producer stuck; starting a new one and resuming from the last commit"]
    findings = published_findings(settings, sim.prefix)  # read_committed
    assert published_twice(findings) == []
    assert last_at_truth_checkpoint(findings, sim.truth) == truth_checked(sim.truth)
    everything = clients.consumer(settings, isolation_level="read_uncommitted")
    try:
        sent = list(read_from_start(everything, existing_partitions(everything, [sim.prefix + topics.FINDINGS])))
    finally:
        everything.close()
    assert len(sent) > sum(map(len, findings.values())), "the stuck transaction held findings, none of them counts"


def test_twenty_thousand_duplicates_leave_the_state_size_and_counts_unchanged(kafka_cluster: KafkaCluster,
                                                                               tmp_path: Path) -> None:
    sim = simulate(kafka_cluster, tmp_path, 200, "inspectie-2018")
    settings = kafka_cluster.settings(topic_prefix=sim.prefix)
    assert _validate(sim.env, tmp_path, "g-dup").returncode == 0
    before = _report(tmp_path, "g-dup")
    [snapshot] = (tmp_path / "state").glob("*.snapshot")
    size = snapshot.stat().st_size
    snap = snapshots.load(snapshot, group="g-dup", prefix=sim.prefix,
                          topics={sim.prefix + t.name: t.partitions for t in CHAIN_TOPICS})
    assert snap is not None
    held = {case.encode() for case in snap.state.dossiers}  # closed cases are evicted a grace period later
    consumer = clients.consumer(settings)
    partitions = [TopicPartition(sim.prefix + Belongings.topic_of(Partner.COA), p)
                  for p in range(CHAIN_PARTITIONS)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    original = next(m for batch in iter(lambda: consumer.poll(timeout_ms=500), None) for part in batch.values()
                    for m in part if m.key in held)
    consumer.close()
    producer = clients.producer(settings)
    for _ in range(20_000):
        producer.send(original.topic, key=original.key, value=original.value, headers=list(original.headers),
                      partition=original.partition)
    producer.flush()
    producer.close()
    assert _validate(sim.env, tmp_path, "g-dup").returncode == 0
    after = _report(tmp_path, "g-dup")
    assert after["records"]["duplicates"] == 20_000
    assert after["records"]["consumed"] == before["records"]["consumed"] + 20_000
    for report in (before, after):
        del report["records"]
    assert after == before
    assert abs(snapshot.stat().st_size - size) < 16  # the same dossiers; only a counter grew


def test_fuzzed_records_over_the_broker_are_all_accounted_for_and_every_letter_is_in_the_dlq(
        kafka_cluster: KafkaCluster, chain_prefix: str, tmp_path: Path) -> None:
    settings = kafka_cluster.settings(topic_prefix=chain_prefix)
    rng = random.Random(1616)
    originals = [r._replace(topic=chain_prefix + r.topic) for r in chain_records(60)]
    producer = clients.producer(settings)
    for n in range(3_000):
        r = mutate(rng.choice(originals), rng, originals) if n >= len(originals) else originals[n]
        if r.key is None and not r.value:
            r = r._replace(value=b"\x00")  # Kafka needs a key or a value
        producer.send(r.topic, key=r.key, value=r.value, headers=r.headers)
    producer.flush()
    producer.close()
    env = {**kafka_cluster.env(), "SIGMA_TOPIC_PREFIX": chain_prefix}
    result = _validate(env, tmp_path, "g-fuzz")
    assert result.returncode == 0, result.stderr
    report = _report(tmp_path, "g-fuzz")
    rec = report["records"]
    assert rec["consumed"] == 3_000 == rec["processed"] + rec["duplicates"] + rec["dead_lettered"]
    letters = _letters(settings, chain_prefix)
    assert len(letters) == rec["dead_lettered"] > 300
    origins = {(dict(m.headers)["dlq_topic"], dict(m.headers)["dlq_partition"], dict(m.headers)["dlq_offset"])
               for m in letters}
    assert len(origins) == len(letters)  # one letter per dead-lettered record
    codes = {dict(m.headers)["dlq_error_code"].decode() for m in letters}
    assert codes == set(report["dead_letters"])


# -- broker outages: a broker of this test's own --------------------------------------------------------------


@pytest.fixture(scope="module")
def outage_sim(own_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> tuple[Sim, dict[str, Any]]:
    """A simulated stream on the own broker, and the report of an undisturbed run over it."""
    tmp = tmp_path_factory.mktemp("outage")
    sim = simulate(KafkaCluster(own_broker.bootstrap, own_broker), tmp, 1_500, "inspectie-2018")
    assert _validate(sim.env, tmp, "g-calm").returncode == 0
    return sim, _report(tmp, "g-calm")


def _wait_for_snapshot(state: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not list(state.glob("*.snapshot")):
        assert proc.poll() is None, "the validator ended before its first snapshot"
        assert time.monotonic() < deadline, "no snapshot within 120 s"
        time.sleep(0.05)


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([SIGMA, *args], env={**os.environ, **env, "SIGMA_LOG_FORMAT": "json"}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _through_restart(broker: EmbeddedBroker, args: list[str], env: dict[str, str],
                     started: Callable[[subprocess.Popen[str]], None]) -> str:
    """Run ``sigma ARGS``, restart the broker under it once ``started`` returns, and return its stderr (exit 0
    asserted)."""
    proc = _start(args, env)
    try:
        started(proc)
        _restart_under(broker, proc)
        _, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    return stderr


def _restart_under(broker: EmbeddedBroker, proc: subprocess.Popen[str]) -> None:
    """Stop the broker for 3 s under the running ``proc``, frozen (SIGSTOP) while the broker stops and thawed into
    the outage, with records still to read: a run that catches up during the shutdown may finish, or poll idle
    and never meet the outage (both happened once catch-up got faster)."""
    proc.send_signal(signal.SIGSTOP)
    try:
        assert proc.poll() is None, "the run ended before the broker could be stopped"
        broker.stop()
    finally:
        proc.send_signal(signal.SIGCONT)
    time.sleep(3)
    broker.start(timeout=180)


def _logged_once_per_outage(stderr: str) -> bool:
    """The outage is logged when it starts, not per retry: a broker that is shutting down may answer a request
    or two between refusals, which the validator rightly sees as two short outages, so up to two are allowed (a
    retry logged each time would give dozens)."""
    starts = sum("Kafka not answering" in line for line in stderr.splitlines())
    return 1 <= starts <= 2


def test_a_broker_restart_during_a_to_end_run_gives_the_undisturbed_report(
        own_broker: EmbeddedBroker, outage_sim: tuple[Sim, dict[str, Any]], tmp_path: Path) -> None:
    sim, calm = outage_sim
    out = tmp_path / "restarted.json"
    stderr = _through_restart(own_broker, ["validate", "--to-end", "--group", "g-restart", "--state-dir",
                                           str(tmp_path / "state"), "--snapshot-interval", "0.2", "--report-json",
                                           str(out), "-q"], sim.env,
                              lambda proc: _wait_for_snapshot(tmp_path / "state", proc))
    assert json.loads(out.read_text()) == calm
    assert _logged_once_per_outage(stderr), stderr


def test_a_broker_restart_during_an_online_run_gives_the_undisturbed_report(
        own_broker: EmbeddedBroker, outage_sim: tuple[Sim, dict[str, Any]], tmp_path: Path) -> None:
    sim, calm = outage_sim
    out = tmp_path / "online.json"
    proc = _start(["validate", "--group", "g-online", "--state-dir", str(tmp_path / "state"),
                   "--snapshot-interval", "0.2", "--report-json", str(out), "-q"], sim.env)
    try:
        _wait_for_snapshot(tmp_path / "state", proc)
        _restart_under(own_broker, proc)
        deadline = time.monotonic() + 240
        while not (out.is_file() and _complete(out, calm)):
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the online run did not catch up after the restart"
            time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert json.loads(out.read_text()) == calm
    assert _logged_once_per_outage(stderr), stderr


def _complete(path: Path, calm: dict[str, Any]) -> bool:
    try:
        report = json.loads(path.read_text())
    except json.JSONDecodeError:  # caught mid-rewrite
        return False
    return bool(report["records"]["consumed"] == calm["records"]["consumed"] and report == calm)


def test_an_outage_past_the_give_up_time_ends_the_run_with_one_line(
        own_broker: EmbeddedBroker, outage_sim: tuple[Sim, dict[str, Any]], tmp_path: Path) -> None:
    sim, _ = outage_sim
    proc = _start(["validate", "--group", "g-give-up", "--state-dir", str(tmp_path / "state"),
                   "--snapshot-interval", "0.2", "-q"], {**sim.env, "SIGMA_OUTAGE_GIVE_UP": "5"})
    try:
        _wait_for_snapshot(tmp_path / "state", proc)
        own_broker.stop()
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        own_broker.start(timeout=180)
    assert proc.returncode == 1
    result = subprocess.CompletedProcess(proc.args, proc.returncode, "", stderr)
    assert "did not answer for" in _one_line_error(result) and "SIGMA_OUTAGE_GIVE_UP" in stderr



def _await_first_event(cluster: KafkaCluster, prefix: str, proc: subprocess.Popen[str]) -> None:
    """Until ``sigma simulate`` has delivered an event (past its start, which may take seconds on a loaded
    machine: the restart is meant to fall mid-run)."""
    consumer = clients.consumer(cluster.settings())
    try:
        partitions = chain_partitions(consumer, prefix)
        deadline = time.monotonic() + 120
        while not any(consumer.end_offsets(partitions).values()):
            assert proc.poll() is None, "the simulation ended before it delivered an event"
            assert time.monotonic() < deadline, "no event delivered within 120 s"
            time.sleep(0.1)
    finally:
        consumer.close()


def test_a_simulation_through_a_broker_restart_delivers_every_event(own_broker: EmbeddedBroker,
                                                                      tmp_path: Path) -> None:
    """``sigma simulate`` (paced, so the restart falls mid-run) waits the outage out: every event is delivered
    and the validator's findings equal the ground truth case for case."""
    prefix = f"test-sim-{uuid.uuid4().hex[:8]}."
    cluster = KafkaCluster(own_broker.bootstrap, own_broker)
    apply_topics(cluster.settings(), [t.prefixed(prefix) for t in ALL_TOPICS])
    env = {**cluster.env(), "SIGMA_TOPIC_PREFIX": prefix}
    truth_file, summary = tmp_path / "truth.jsonl", tmp_path / "summary.json"
    _through_restart(own_broker, ["simulate", "--cases", "1000", "--seed", "7", "--profile", "inspectie-2018",
                                  "--truth", str(truth_file), "--speed", "400000", "--summary-json", str(summary)],
                     env, lambda proc: _await_first_event(cluster, prefix, proc))
    sent = json.loads(summary.read_text())
    assert sent["failed"] == 0 and sent["delivered"] == sent["events"]
    assert _validate(env, tmp_path, "g-sim").returncode == 0
    report = _report(tmp_path, "g-sim")
    assert report["records"]["processed"] == sent["events"] and report["records"]["dead_lettered"] == 0
    truth = [json.loads(line) for line in truth_file.read_text().splitlines()]
    expected = {t["case"]: sorted((d["category"], d["partner"], d["kind"]) for d in t["defects"])
                for t in truth if t["checked"]}
    found = {c["case"]: sorted((d["category"], d["partner"], d["kind"]) for d in c["defects"]) for c in report["cases"]}
    assert found == expected
