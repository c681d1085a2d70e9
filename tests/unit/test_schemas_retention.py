"""The chain topics' retention, from the domain: a case's first records are still there when it closes.

Why a test: a validator group rebuilt from the chain topics (a fresh group, a deleted changelog) and a recording
of whole cases both need every record of an open case; a retention shorter than a case (the former 30 days)
silently drops their start. ``schemas.topics.CHAIN_RETENTION_DAYS`` says why 180.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from producers.profile import load_profile
from producers.simulation import Simulation
from runtime.settings import Settings
from schemas.casekey import case_key
from schemas.topics import CHAIN_RETENTION_DAYS, CHAIN_TOPICS


def _longest_case(cases: int, seed: int) -> timedelta:
    """From a simulated case's first record to its last (``case_closed``), the longest of ``cases``."""
    simulation = Simulation(cases=cases, seed=seed, profile=load_profile("inspectie-2018"),
                            case_key=partial(case_key, secret=b"retention"))
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for _, event in simulation.events():
        first.setdefault(event.case_key, event.recorded_at)
        last[event.case_key] = event.recorded_at
    return max(last[case] - first[case] for case in first)


def test_every_chain_topic_keeps_a_record_longer_than_a_case_runs_and_the_validator_keeps_it() -> None:
    longest = _longest_case(3_000, seed=1)
    assert longest > timedelta(days=100), "the simulated cases run for months, as the domain says"
    grace = timedelta(hours=Settings().eviction_grace_hours)
    retention = {t.name: timedelta(milliseconds=int(t.config["retention.ms"])) for t in CHAIN_TOPICS}
    assert set(retention.values()) == {timedelta(days=CHAIN_RETENTION_DAYS)}
    assert timedelta(days=CHAIN_RETENTION_DAYS) >= longest + grace
