"""A simulated run for the report site's tests: the simulator's records, the validator's verdicts and dossiers.

Broker-free: the records are what ``sigma simulate`` would put on the topics (``bench.streams``), fed to the
validator's engine as a consumer would read them, or written as a recording for ``sigma validate
--from-file``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import html as lxml_html

from bench.streams import chain_records
from consumers.recording import RecordingWriter
from consumers.records import ConsumedRecord
from validator.engine import Engine
from validator.report.model import build_report

CASES = 300
"""Enough for every section to have rows (about 70 checked cases, 45 defective), few enough to be quick."""


@dataclass(frozen=True)
class Run:
    """A validated simulation: its records, the engine that judged them, and the report data."""

    records: list[ConsumedRecord]
    engine: Engine
    report: dict[str, Any]


def simulated_run(cases: int = CASES) -> Run:
    """Validate an ``inspectie-2018`` simulation of ``cases`` cases."""
    records = chain_records(cases)
    engine = Engine()
    engine.feed(records)
    report = build_report(engine.verdicts(), engine.state.counters, checkpoint_hours=48.0,
                          dead_letters=engine.rejection_summary())
    return Run(records, engine, report)


def write_recording(records: list[ConsumedRecord], path: Path) -> Path:
    """The records as a ``sigma record`` recording."""
    with RecordingWriter(path, {"cluster": "test"}) as writer:
        for record in records:
            writer.write(record)
    return path


def parse(page: Path) -> Any:
    """A written page as an lxml tree."""
    return lxml_html.fromstring(page.read_text(encoding="utf-8"))


def table_rows(page: Path, table_class: str) -> list[Any]:
    """The body rows (``tr`` with ``td``) of the tables of class ``table_class`` on a written page."""
    return [tr for table in parse(page).xpath(f"//table[@class='{table_class}']") for tr in table.iter("tr")
            if tr.find("td") is not None]
