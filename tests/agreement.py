"""Validator findings against the simulator's ground truth, case for case: one comparison for every test.

Why shared: the broker test (tests/integration/test_validator_kafka.py, 10,000 cases through Kafka) and the
broker-free differential test (tests/unit/test_validator_differential.py, many small seeds) must hold the
validator to the same standard, so both reduce a report and a truth file to the same form and compare.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

Defects = list[tuple[str, str, str]]
"""A case's defects as sorted (category, partner, kind); empty for a complete case."""


def by_case(entries: Iterable[Mapping[str, Any]]) -> dict[str, Defects]:
    """Each case's defects: from a report's ``cases`` or from lines of a truth file."""
    return {e["case"]: sorted((d["category"], d["partner"], d["kind"]) for d in e["defects"]) for e in entries}


def truth_checked(truth: Iterable[Mapping[str, Any]]) -> dict[str, Defects]:
    """The cases the truth says are checked, with their defects (the ones a report must list)."""
    return by_case(line for line in truth if line["checked"])


def report_checked(report: Mapping[str, Any]) -> dict[str, Defects]:
    """The cases a validator report lists as checked, with their defects."""
    return by_case(report["cases"])


def at_truth_checkpoint(findings: Mapping[str, list[dict[str, Any]]],
                        truth: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per checked case of the truth, the findings published for its checkpoint, in order (a case booked
    again after a decision has findings of an earlier departure too, which the truth does not judge)."""
    return {line["case"]: [f for f in findings.get(line["case"], []) if f["checkpoint"] == line["checkpoint"]]
            for line in truth if line["checked"]}


def last_at_truth_checkpoint(findings: Mapping[str, list[dict[str, Any]]],
                             truth: Iterable[Mapping[str, Any]]) -> dict[str, Defects | None]:
    """Per checked case of the truth, the defects of its last finding for the truth's checkpoint (None when it
    has none, or it was withdrawn): what the findings topic says in the end, to compare with ``truth_checked``."""
    return {case: sorted((d["category"], d["partner"], d["kind"]) for d in found[-1]["defects"])
            if found and "withdrawn" not in found[-1] else None
            for case, found in at_truth_checkpoint(findings, truth).items()}


def published_twice(findings: Mapping[str, list[dict[str, Any]]]) -> list[tuple[str, str, int]]:
    """The (case, checkpoint, revision) of every finding published more than once (exactly once: none)."""
    published = Counter((f["case"], f["checkpoint"], f["revision"]) for found in findings.values() for f in found)
    return sorted(key for key, times in published.items() if times > 1)
