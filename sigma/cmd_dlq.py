"""``sigma dlq list`` and ``sigma dlq redrive``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from sigma import groups
from sigma.context import settings_as

if TYPE_CHECKING:
    from consumers.records import ConsumedRecord

FILTER_HELP = ("KEY=VALUE, repeatable (all must hold): topic=REGEX (original topic), case=KEY, code=ERROR_CODE, "
               "stage=decode|validate|semantic|process, partner=NAME, from=TIME, until=TIME.")


def _keep(filters: list[str] | None) -> Callable[[ConsumedRecord], bool]:
    """The filter predicate, matching ``topic=`` against the letter's original topic, not the DLQ."""
    from consumers import filters as f
    from consumers.deadletters import header_text

    return f.build(filters or [], topic_of=lambda record: header_text(record, "dlq_topic"))


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def list_letters(
    ctx: typer.Context,
    filters: list[str] | None = typer.Option(None, "--filter", help=FILTER_HELP),
) -> None:
    """Summarise the dead letters by original topic, stage and error code (no keys or values shown)."""
    from consumers.deadletters import list_dead_letters
    from schemas.access import TOOLS

    summary = list_dead_letters(settings_as(ctx, TOOLS), keep=_keep(filters))
    if summary.groups:
        typer.echo(f"{'letters':>8}  {'topic':<34} {'stage':<9} {'code':<28} {'first (UTC)':<19}  "
                   f"{'last (UTC)':<19}  {'redriven':>8}  json paths")
    for (topic, stage, code), group in sorted(summary.groups.items(), key=lambda item: -item[1].count):
        paths = ", ".join(sorted(group.paths)[:3]) + (" …" if len(group.paths) > 3 else "")
        typer.echo(f"{group.count:>8,}  {topic:<34} {stage:<9} {code:<28} {_when(group.first_ms)}  "
                   f"{_when(group.last_ms)}  {group.most_redriven:>8}  {paths}")
    total = sum(g.count for g in summary.groups.values())
    typer.echo(f"{total:,} dead letters in {len(summary.groups)} groups ({summary.skipped:,} filtered out)")


def redrive(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be sent; send and commit nothing."),
    filters: list[str] | None = typer.Option(None, "--filter", help=FILTER_HELP),
    max_redrives: int = typer.Option(3, "--max-redrives", min=1, help="Refuse letters redriven this often."),
) -> None:
    """Send dead letters back to their original topic after a fix, once, with a loop guard."""
    from consumers.redrive import redrive as run
    from schemas.access import TOOLS

    summary = run(settings_as(ctx, TOOLS), keep=_keep(filters), max_redrives=max_redrives, dry_run=dry_run)
    verb = "would send" if dry_run else "sent"
    for group in sorted(summary.sent.keys() | summary.refused.keys()):
        topic, stage, code = group
        refused = summary.refused[group]
        note = f", refused {refused:,} (redriven {max_redrives} times already)" if refused else ""
        typer.echo(f"{topic}  {stage}/{code}: {verb} {summary.sent[group]:,}{note}")
    typer.echo(f"{'dry run: ' if dry_run else ''}{sum(summary.sent.values()):,} {verb}, "
               f"{sum(summary.refused.values()):,} refused, {summary.skipped:,} filtered out")
    if summary.passed_over:
        typer.echo(f"note: {summary.passed_over:,} filtered-out letters were left behind too far back to keep track "
                   "of; a later redrive will not see them (`sigma dlq list` still does)", err=True)


def register(app: typer.Typer) -> None:
    """Attach ``dlq list`` and ``dlq redrive``."""
    groups.dlq_app.command("list")(list_letters)
    groups.dlq_app.command("redrive")(redrive)
