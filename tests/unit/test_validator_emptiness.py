"""A run that validated nothing is told apart from a clean chain, with its likely cause (``validator.emptiness``).

Each report is the validator's own, over the simulator's records as a recording of that kind would hold them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from bench.streams import chain_records
from consumers.records import ConsumedRecord
from schemas import topics
from schemas.events import FlightBooking, Partner
from schemas.topics import CHAIN_TOPICS
from validator.emptiness import Nothing, Source, nothing_validated
from validator.engine import Engine
from validator.offline import chain_prefixes
from validator.report.model import build_report

REC = Path("out/run.jsonl")
WHERE = "topic prefix 'given.', from SIGMA_TOPIC_PREFIX"


@pytest.fixture(scope="module")
def records() -> list[ConsumedRecord]:
    return chain_records(200)


def _validated(records: Iterable[ConsumedRecord], prefix: str = "") -> tuple[dict[str, Any], int]:
    engine = Engine(topic_prefix=prefix)
    engine.feed(records)
    report = build_report(engine.verdicts(), engine.state.counters, checkpoint_hours=48.0,
                          dead_letters=engine.rejection_summary(), unknown_cases=engine.unknown_cases())
    return report, engine.case_count()


def _recording(names: Iterable[str], used: str) -> Source:
    """A recording's source as ``sigma validate --from-file`` builds it: its own prefix when it has one."""
    recorded = sorted(set(names))
    return Source(used, WHERE, REC, recorded, chain_prefixes(recorded))


def _renamed(records: list[ConsumedRecord], rename: dict[str, str]) -> list[ConsumedRecord]:
    return [r._replace(topic=rename.get(r.topic, r.topic)) for r in records]


def test_a_run_that_judged_cases_validated_something(records: list[ConsumedRecord]) -> None:
    report, cases = _validated(records)
    assert report["cases_checked"] > 0
    assert nothing_validated(report, _recording((t.name for t in CHAIN_TOPICS), ""), cases) is None
    assert nothing_validated(report, Source("", WHERE), cases) is None


def test_an_empty_recording_names_the_prefix_its_empty_topics_carry() -> None:
    report, cases = _validated([])
    found = nothing_validated(report, _recording((f"run-7.{t.name}" for t in CHAIN_TOPICS), "run-7."), cases)
    assert found == Nothing(f"{REC} holds no records (recorded from {len(CHAIN_TOPICS)} topics under topic prefix "
                            "'run-7.'): nothing was validated",
                            "record topics that hold records: `sigma record --out FILE --to-end` reads the chain "
                            "topics under the topic prefix in effect (`sigma context` shows it)")
    unnamed = nothing_validated(report, _recording((), "given."), cases)
    assert unnamed is not None
    assert unnamed.message == f"{REC} holds no records (its manifest names no topic): nothing was validated"


def test_a_recording_of_two_runs_read_under_a_third_prefix_names_all_three(records: list[ConsumedRecord]) -> None:
    """``sigma record --topics '(a|b)\\.chain\\..*'``: two prefixes, so the recording has no prefix of its own and
    is read under the one in effect, where none of its records belongs."""
    names = [f"{p}{t.name}" for p in ("run-a.", "run-b.") for t in CHAIN_TOPICS]
    report, cases = _validated(_renamed(records, {t.name: "run-a." + t.name for t in CHAIN_TOPICS}), "given.")
    found = nothing_validated(report, _recording(names, "given."), cases)
    assert found is not None
    consumed = len(records)
    assert found.message == (f"every record of {REC} was dead-lettered, most as wrong-topic ({consumed} of "
                             f"{consumed}): its chain topics carry the prefixes 'run-a.', 'run-b.', so it was read "
                             f"under {WHERE}")
    assert "without --topics" in found.fix and "SIGMA_TOPIC_PREFIX" in found.fix


def test_a_recording_of_topics_that_are_not_chain_topics_says_so(records: list[ConsumedRecord]) -> None:
    rename = {t.name: "ind-out." + t.name.removeprefix("chain.") for t in CHAIN_TOPICS}
    report, cases = _validated(_renamed(records, rename), "given.")
    found = nothing_validated(report, _recording(rename.values(), "given."), cases)
    assert found is not None and found.message.endswith(
        "its topics ('ind-out.coa.belongings', 'ind-out.coa.medical', 'ind-out.dji.belongings' and 20 more) are not "
        f"chain topics, so it was read under {WHERE}")


def test_records_all_dead_lettered_for_another_reason_name_the_top_code(records: list[ConsumedRecord]) -> None:
    garbled = [r._replace(value=b"not avro") for r in records[:5]] + [r._replace(key=None) for r in records[5:7]]
    report, cases = _validated(garbled)
    found = nothing_validated(report, _recording((t.name for t in CHAIN_TOPICS), ""), cases)
    assert found == Nothing(f"every record of {REC} was dead-lettered, most as not-avro (5 of 7): nothing was "
                            "validated", f"`sigma conformance {REC}` lists each record with its error and the fix")


def test_a_recording_without_the_handover_topic_hands_over_no_case(records: list[ConsumedRecord]) -> None:
    flights = [r for r in records if r.topic == FlightBooking.topic_of(Partner.DTV)]
    report, cases = _validated(flights)
    assert report["records"]["processed"] == len(flights) > 0 and cases > 0
    found = nothing_validated(report, _recording([FlightBooking.topic_of(Partner.DTV)], ""), cases)
    assert found == Nothing(f"no case in {REC} could be judged: none of its {cases} cases was handed over, and it "
                            f"holds no {topics.HANDOVER} topic",
                            "record every chain topic: `sigma record --out FILE --to-end` without --topics")


def test_cases_handed_over_but_never_judged_say_what_judging_takes(records: list[ConsumedRecord]) -> None:
    handovers = [r for r in records if r.topic == topics.HANDOVER]  # no booking: no checkpoint
    report, cases = _validated(handovers)
    found = nothing_validated(report, _recording([topics.HANDOVER], ""), cases)
    assert found is not None and found.message.startswith(
        f"no case in {REC} could be judged: none of its {cases} cases handed over was judged (a case is judged on "
        "the forced track with a departure booked, once the records pass its checkpoint, 48 h before the departure")
    assert "--until" in found.fix and "--checkpoint-hours" in found.fix


def test_online_topics_without_records_name_the_prefix_and_where_it_came_from() -> None:
    report, cases = _validated([])
    found = nothing_validated(report, Source("given.", WHERE), cases)
    assert found == Nothing(f"the chain topics hold no records ({WHERE}): nothing was validated",
                            "publish to them first, or choose the prefix of a run that has records with "
                            "`sigma context set --topic-prefix P` or SIGMA_TOPIC_PREFIX")


def test_online_every_record_dead_lettered_fails_but_cases_not_yet_at_their_checkpoint_do_not(
        records: list[ConsumedRecord]) -> None:
    report, cases = _validated(r._replace(value=b"not avro") for r in records[:3])
    found = nothing_validated(report, Source("", WHERE), cases)
    assert found == Nothing(f"every record on the chain topics was dead-lettered, most as not-avro (3 of 3) ({WHERE}): "
                            "nothing was validated", "`sigma dlq list` shows each letter's error and reason")
    live, cases = _validated(r for r in records if r.topic == topics.HANDOVER)
    assert live["cases_checked"] == 0 and nothing_validated(live, Source("", WHERE), cases) is None
