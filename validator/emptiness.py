"""Why a validation run judged nothing, named from its report and what was read. Pure: the command line turns
the answer into one error line and an exit code.

Why: a run that checked no case reports a defect rate of 0% and no defects, which reads as a clean chain. In
CI that is a silent pass, and the usual causes are mistakes to be told about, not results: a recording of
empty topics, one whose chain topics carry two prefixes (or none) so its records land on the wrong topics and
are all dead-lettered, one of only some chain topics, or topics under a prefix nobody published to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas import topics

SHOWN = 3
"""Topic names or prefixes listed in a message before "and N more"."""


@dataclass(frozen=True)
class Source:
    """What a run read: the topic prefix it used and where that came from, and for a recording its file and
    manifest (the topics it was recorded from, and the chain-topic prefixes among them)."""

    prefix: str
    where: str
    """The prefix and its origin, e.g. ``topic prefix 'demo-1.', from SIGMA_TOPIC_PREFIX`` (``runtime.context``)."""
    recording: Path | None = None
    recorded_topics: Sequence[str] = ()
    recorded_prefixes: Sequence[str] = ()


@dataclass(frozen=True)
class Nothing:
    """The run validated nothing: why (the likely cause) and what to do."""

    message: str
    fix: str


def nothing_validated(report: Mapping[str, Any], source: Source, cases: int) -> Nothing | None:
    """None when the run validated something; else the likely cause. ``cases``: the cases the run read.

    A recording fails when no case was judged. Online (``--to-end``) only when nothing was read or every
    record was dead-lettered: the topics of a live chain may well hold only cases whose checkpoint is still
    ahead, whereas a recording is the finished evidence a pipeline chose to judge.
    """
    records = report["records"]
    if records["consumed"] == 0:
        return _no_records(source)
    if records["processed"] == 0:  # consumed = processed + duplicates + dead-lettered, and no duplicate without
        return _all_dead_lettered(report["dead_letters"], records["consumed"], source)  # a processed original
    if source.recording is None or report["cases_checked"]:
        return None
    return _none_judged(report, source, cases)


def _no_records(source: Source) -> Nothing:
    if source.recording is None:
        return Nothing(f"the chain topics hold no records ({source.where}): nothing was validated",
                       "publish to them first, or choose the prefix of a run that has records with "
                       "`sigma context set --topic-prefix P` or SIGMA_TOPIC_PREFIX")
    return Nothing(f"{source.recording} holds no records ({_recorded_from(source)}): nothing was validated",
                   "record topics that hold records: `sigma record --out FILE --to-end` reads the chain topics under "
                   "the topic prefix in effect (`sigma context` shows it)")


def _all_dead_lettered(codes: Mapping[str, int], consumed: int, source: Source) -> Nothing:
    code, count = max(codes.items(), key=lambda item: (item[1], item[0]))
    what = "record on the chain topics" if source.recording is None else f"record of {source.recording}"
    message = f"every {what} was dead-lettered, most as {code} ({count} of {consumed})"
    if source.recording is None:
        return Nothing(f"{message} ({source.where}): nothing was validated",
                       "`sigma dlq list` shows each letter's error and reason")
    if code == "wrong-topic" and len(source.recorded_prefixes) != 1:
        if source.recorded_prefixes:
            found = f"its chain topics carry the prefixes {_listed(source.recorded_prefixes)}"
        else:
            found = f"its topics ({_listed(source.recorded_topics)}) are not chain topics"
        return Nothing(f"{message}: {found}, so it was read under {source.where}",
                       "record one run's chain topics: `sigma record --out FILE --to-end` without --topics, under "
                       "that run's prefix; or set SIGMA_TOPIC_PREFIX to the prefix whose records to validate")
    return Nothing(f"{message}: nothing was validated",
                   f"`sigma conformance {source.recording}` lists each record with its error and the fix")


def _none_judged(report: Mapping[str, Any], source: Source, cases: int) -> Nothing:
    unknown = int(report["unknown_cases"]["cases"])
    message = f"no case in {source.recording} could be judged"
    if unknown == cases:
        handover = source.prefix + topics.HANDOVER
        lacking = f", and it holds no {handover} topic" if handover not in source.recorded_topics else ""
        return Nothing(f"{message}: none of its {cases} cases was handed over{lacking}",
                       "record every chain topic: `sigma record --out FILE --to-end` without --topics")
    return Nothing(f"{message}: none of its {cases - unknown} cases handed over was judged (a case is judged on "
                   f"the forced track with a departure booked, once the records pass its checkpoint, "
                   f"{report['checkpoint_hours']:g} h before the departure, by the allowed lateness)",
                   "record a longer window (a later --until), or check --checkpoint-hours and --allowed-lateness")


def _recorded_from(source: Source) -> str:
    if not source.recorded_topics:
        return "its manifest names no topic"
    count = len(source.recorded_topics)
    if len(source.recorded_prefixes) == 1:
        [prefix] = source.recorded_prefixes
        return f"recorded from {count} topics under " + (f"topic prefix {prefix!r}" if prefix else "no topic prefix")
    return f"recorded from {count} topics: {_listed(source.recorded_topics)}"


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in sorted(names)[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
