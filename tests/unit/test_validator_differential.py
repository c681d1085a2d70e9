"""The validator's engine against the simulator's ground truth, without a broker, case for case.

Why: the truth (``producers/rules.py``) and the validator's rules (``validator/rules.py``) are two independent
implementations of docs/simulation.md. Here the records and truth file of ``sigma simulate`` (its generator,
broker-free) go into the engine ``sigma validate --from-file`` drives, in an order a consumer may read them,
and the report must list exactly the truth's checked cases with exactly their defects; the 10,000-case broker
test makes the same comparison (``tests.agreement``) through Kafka.

The seeds are drawn by hypothesis, derandomized, so every run tries the same ones, and a disagreement shrinks
to the smallest seed that shows it. Only the seed is drawn (the case count and read order follow from it):
hypothesis never repeats an example, so with one draw every example is a new seed.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections import defaultdict, deque
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zlib import crc32

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.records import ConsumedRecord
from producers.delivery import LateDeliveries
from producers.injection import KINDS
from producers.profile import Profile, load_profile
from producers.runner import SimulationRun, generate
from schemas.events import ChainEvent, Partner
from schemas.placement import kafka_partition
from schemas.topics import CHAIN_PARTITIONS, CHAIN_TOPICS
from tests.agreement import Defects, report_checked, truth_checked
from tests.profiles import every_kind
from validator.engine import Engine
from validator.report.model import build_report

PROFILES = {"ideal": load_profile("ideal"), "inspectie-2018": load_profile("inspectie-2018"),
            "every-kind": every_kind()}

SEEDS = 60
"""Examples per profile; each is one seed (its case count and read order follow from it)."""


def simulated(seed: int, cases: int, profile: Profile, truth: Path) -> Iterator[ConsumedRecord]:
    """The records ``sigma simulate --seed --cases --profile --truth`` would send, as a consumer gets them."""
    run = SimulationRun(cases=cases, seed=seed, profile=profile, topic_prefix="",
                        case_key_secret=b"differential", truth=truth)
    offset = 0
    for batch in generate(run, truth):
        for _, out in batch:
            yield ConsumedRecord(out.topic, kafka_partition(out.key, CHAIN_PARTITIONS), offset,
                                 1_700_000_000_000 + offset, 0, out.key, out.value, out.headers)
            offset += 1


def as_a_consumer_may_read(records: list[ConsumedRecord], rng: random.Random) -> list[ConsumedRecord]:
    """The records in an order a consumer may see: each case keeps its order within a topic (one partition
    per case), and topics and cases interleave at random, as partitions read at different paces do."""
    queues: dict[tuple[str, bytes | None], deque[ConsumedRecord]] = defaultdict(deque)
    for record in records:
        queues[(record.topic, record.key)].append(record)
    turns = [queue for queue in queues.values() for _ in queue]
    rng.shuffle(turns)
    return [queue.popleft() for queue in turns]


@pytest.mark.parametrize("profile", PROFILES)
def test_the_engine_finds_exactly_the_truth_case_for_case(profile: str, tmp_path: Path) -> None:
    truth_file = tmp_path / "truth.jsonl"
    seeds: set[int] = set()
    judged: list[Defects] = []

    @settings(max_examples=SEEDS, derandomize=True, database=None, deadline=None)
    @given(seed=st.integers(min_value=0, max_value=2**32 - 1))
    def agrees(seed: int) -> None:
        rng = random.Random(seed)
        cases = rng.randint(10, 40)
        records = as_a_consumer_may_read(list(simulated(seed, cases, PROFILES[profile], truth_file)), rng)
        truth = [json.loads(line) for line in truth_file.read_text().splitlines()]
        assert len(truth) == cases
        engine = Engine()
        assert engine.feed(records) == []
        report = build_report(engine.verdicts(), engine.state.counters, checkpoint_hours=48.0)
        expected = truth_checked(truth)
        assert report_checked(report) == expected, f"seed {seed}, {cases} cases, profile {profile}"
        seeds.add(seed)
        judged.extend(expected.values())

    agrees()
    # not vacuous: many seeds, many checked cases, most with defects unless ideal, every kind where injected
    assert len(seeds) == SEEDS
    assert len(judged) > 200
    defective = sum(bool(defects) for defects in judged)
    assert defective == 0 if profile == "ideal" else defective > len(judged) / 2
    if profile == "every-kind":
        found = {(category, kind) for defects in judged for category, _, kind in defects}
        assert found == {(c.value, k.value) for c, kinds in KINDS.items() for k in kinds}


def _by_partition(records: list[ConsumedRecord], rng: random.Random) -> list[ConsumedRecord]:
    """The records as a consumer reads them: each partition in its order, partitions interleaved at random."""
    queues: dict[tuple[str, int], deque[ConsumedRecord]] = defaultdict(deque)
    for record in records:
        queues[(record.topic, record.partition)].append(record)
    turns = [queue for queue in queues.values() for _ in queue]
    rng.shuffle(turns)
    return [queue.popleft() for queue in turns]


def _agree_with_the_simulator(records: list[ConsumedRecord], late: LateDeliveries, truth_file: Path) -> None:
    """Read in three orders, the engine counts the simulator's late deliveries and finds the truth."""
    truth = truth_checked([json.loads(line) for line in truth_file.read_text().splitlines()])
    for order in range(3):
        engine = Engine(allowed_lateness_hours=1.0)
        assert engine.feed(_by_partition(records, random.Random(order))) == []
        assert engine.late_deliveries() == dict(sorted(late.counts.items()))
        report = build_report(engine.verdicts(), engine.state.counters, checkpoint_hours=48.0)
        assert report_checked(report) == truth


def _run(truth_file: Path, delays: dict[Partner, float] | None = None) -> SimulationRun:
    profile = dataclasses.replace(PROFILES["inspectie-2018"], publication_delays=delays or {})
    return SimulationRun(cases=600, seed=2018, profile=profile, topic_prefix="", case_key_secret=b"differential",
                         truth=truth_file)


@pytest.mark.parametrize("delays", [{}, {Partner.IND: 24.0}, {Partner.IND: 24.0, Partner.DTV: 6.0, Partner.COA: 48.0}])
def test_a_partner_publishing_late_delivers_nothing_late_on_its_own_topics_whatever_the_read_order(
        delays: dict[Partner, float], tmp_path: Path) -> None:
    """Publication delays move a partner's records later in the stream, but every chain topic has one producer,
    so each of its partitions still gets them in recorded order: the simulator counts no late delivery, and
    the engine agrees (and finds the truth) however a consumer interleaves partitions."""
    truth_file = tmp_path / "truth.jsonl"
    late = LateDeliveries(timedelta(hours=1))
    partitions = {t.name: t.partitions for t in CHAIN_TOPICS}
    records = [ConsumedRecord(out.topic, kafka_partition(out.key, partitions[out.topic]), offset, 0, 0, out.key,
                              out.value, out.headers)
               for offset, (_, out) in enumerate(o for batch in generate(_run(truth_file, delays), truth_file, None,
                                                                         late) for o in batch)]
    _agree_with_the_simulator(records, late, truth_file)
    assert not late.counts


class _Held(LateDeliveries):
    """Takes the cases as they are planned, and holds each record sent, to be counted in the order the test
    publishes the records in."""

    def __init__(self) -> None:
        super().__init__(timedelta(hours=1))
        self.held: list[tuple[ChainEvent, str, bytes, int]] = []

    def sent(self, event: ChainEvent, topic: str, key: bytes, partitions: int) -> None:
        self.held.append((event, topic, key, partitions))


def test_a_partner_publishing_part_of_its_records_two_days_late_has_them_counted_whatever_the_read_order(
        tmp_path: Path) -> None:
    """IND exporting from two offices, one two days behind the other: its topics get records recorded before
    records already on them. The engine counts exactly the late deliveries the simulator counts for that
    publication order, however a consumer interleaves partitions, and still finds the truth case for case."""
    truth_file = tmp_path / "truth.jsonl"
    late = _Held()
    sent = [out for batch in generate(_run(truth_file), truth_file, None, late) for _, out in batch]
    assert len(sent) == len(late.held)

    def published(i: int) -> datetime:
        event = late.held[i][0]
        behind = event.partner is Partner.IND and crc32(event.case_key.encode()) % 2 == 1  # the slow office's
        return event.recorded_at + timedelta(hours=48 if behind else 0)

    order = sorted(range(len(sent)), key=lambda i: (published(i), i))
    for i in order:
        LateDeliveries.sent(late, *late.held[i])
    records = [ConsumedRecord(sent[i].topic, kafka_partition(sent[i].key, CHAIN_PARTITIONS), offset, 0, 0,
                              sent[i].key, sent[i].value, sent[i].headers) for offset, i in enumerate(order)]
    _agree_with_the_simulator(records, late, truth_file)
    assert set(late.counts) == {"ind"} and late.counts["ind"] > 10
