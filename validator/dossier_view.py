"""``sigma dossier``: the "loket" view of one case — what each partner shared, and what is wrong.

Only the kept (non-personal) fields are shown: no V-number, no items or marks, no medical text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table

from consumers.bounded import chain_partitions, read_from_start
from consumers.records import ConsumedRecord
from runtime import clients, context
from runtime.errors import UsageError
from runtime.settings import Settings
from validator.engine import Engine
from validator.report.timeline import timeline, when
from validator.rules import RULES, judge, situation


def _from_kafka(settings: Settings) -> Iterator[ConsumedRecord]:
    """Every record on the chain topics, from the beginning up to the end seen at start."""
    consumer = clients.consumer(settings)
    try:
        yield from read_from_start(consumer, chain_partitions(consumer, settings.topic_prefix))
    finally:
        consumer.close(autocommit=False)


def collect(settings: Settings, case: str, *, from_file: Path | None, checkpoint_hours: float) -> Engine:
    """An engine holding only this case's records (from the cluster or a recording)."""
    prefix, where = settings.topic_prefix, context.describe(settings)
    if from_file is not None:
        from consumers.recording import read_recording
        from validator.offline import recorded_prefix

        source: Iterator[ConsumedRecord] = read_recording(from_file)
        prefix, where = recorded_prefix(from_file, prefix), f"in {from_file}"
    else:
        source = _from_kafka(settings)
    engine = Engine(checkpoint_hours=checkpoint_hours, topic_prefix=prefix)
    wanted = case.encode()
    for record in source:
        if record.key == wanted:
            engine.process(record)
    if case not in engine.state.dossiers:
        raise UsageError(f"no events for case {case} ({where})",
                         fix="check the case key (ck_…) and the topic prefix (`sigma context`)")
    return engine


def render(engine: Engine, case: str, console: Console) -> None:
    """Print the dossier table and the verdict."""
    dossier = engine.state.dossiers[case]
    table = Table(title=f"Dossier {case}")
    for column in ("subject", "partner", "recorded", "shared"):
        table.add_column(column)
    for entry in timeline(dossier, None):
        table.add_row(entry.subject, entry.partner, when(entry.recorded_at), entry.shared)
    console.print(table)
    s = situation(dossier, engine.checkpoint_before)
    if s is None:
        console.print("not checked: no forced-departure track with a booked flight that reached its checkpoint")
        return
    verdict = judge(s)
    console.print(f"departure {when(s.departure)}, checkpoint {when(s.checkpoint)}")
    if not verdict.defects:
        console.print("[green]complete[/green]: every rule holds at the checkpoint")
        return
    described = {r.id: r.description for r in RULES}
    for d in verdict.defects:
        console.print(f"[red]{d.kind}[/red] {d.category} (responsible: {d.partner}) — {d.rule}: {described[d.rule]}")
