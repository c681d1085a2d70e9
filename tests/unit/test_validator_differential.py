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
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.records import ConsumedRecord
from producers.delivery import LateDeliveries
from producers.injection import KINDS
from producers.profile import Profile, load_profile
from producers.runner import SimulationRun, generate
from schemas.events import Partner
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


def _run(truth_file: Path, delays: dict[Partner, float] | None = None,
         offices: dict[Partner, float] | None = None) -> SimulationRun:
    profile = dataclasses.replace(PROFILES["inspectie-2018"], publication_delays=delays or {},
                                  office_delays=offices or {})
    return SimulationRun(cases=600, seed=2018, profile=profile, topic_prefix="", case_key_secret=b"differential",
                         truth=truth_file)


def _published(run: SimulationRun, truth_file: Path, late: LateDeliveries) -> list[ConsumedRecord]:
    """The run's records in publication order, each on its partition, counted by ``late`` as they are sent."""
    partitions = {t.name: t.partitions for t in CHAIN_TOPICS}
    return [ConsumedRecord(out.topic, kafka_partition(out.key, partitions[out.topic]), offset, 0, 0, out.key,
                           out.value, out.headers)
            for offset, (_, out) in enumerate(o for batch in generate(run, truth_file, None, late) for o in batch)]


@pytest.mark.parametrize("delays", [{}, {Partner.IND: 24.0}, {Partner.IND: 24.0, Partner.DTV: 6.0, Partner.COA: 48.0}])
def test_a_partner_publishing_late_delivers_nothing_late_on_its_own_topics_whatever_the_read_order(
        delays: dict[Partner, float], tmp_path: Path) -> None:
    """Publication delays move a partner's records later in the stream, but every chain topic has one producer,
    so each of its partitions still gets them in recorded order: the simulator counts no late delivery, and
    the engine agrees (and finds the truth) however a consumer interleaves partitions."""
    truth_file = tmp_path / "truth.jsonl"
    late = LateDeliveries(timedelta(hours=1))
    _agree_with_the_simulator(_published(_run(truth_file, delays), truth_file, late), late, truth_file)
    assert not late.counts


@pytest.mark.parametrize("offices", [{Partner.IND: 48.0}, {Partner.IND: 24.0, Partner.DTV: 72.0, Partner.COA: 0.5}])
def test_a_partners_second_office_publishing_late_has_its_records_counted_whatever_the_read_order(
        offices: dict[Partner, float], tmp_path: Path) -> None:
    """A partner's second office publishing hours behind its first (``--office-delay``): its topics get records
    recorded before records already on them. The engine counts exactly the late deliveries the simulator counts
    for that publication order, however a consumer interleaves partitions, and still finds the truth case for
    case; an office only half an hour behind (within the allowed lateness of an hour) delivers nothing late."""
    truth_file = tmp_path / "truth.jsonl"
    late = LateDeliveries(timedelta(hours=1))
    _agree_with_the_simulator(_published(_run(truth_file, offices=offices), truth_file, late), late, truth_file)
    beyond = {p.value for p, hours in offices.items() if hours > 1}
    assert set(late.counts) == beyond and late.counts.total() > 10
