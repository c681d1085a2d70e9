"""``sigma dlq redrive``."""

from __future__ import annotations

import typer

from sigma.cli import groups
from sigma.cli.context import settings as get_settings


def redrive(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be sent; send and commit nothing."),
    filters: list[str] | None = typer.Option(None, "--filter", help="KEY=VALUE, repeatable: topic=REGEX "
                                             "(original topic), case=KEY, code=ERROR_CODE, stage=STAGE."),
    max_redrives: int = typer.Option(3, "--max-redrives", min=1, help="Refuse letters redriven this often."),
) -> None:
    """Send dead letters back to their original topic after a fix, with a loop guard."""
    from consumers import filters as f
    from consumers.records import ConsumedRecord
    from consumers.redrive import redrive as run

    def original_topic(record: ConsumedRecord) -> str:
        value = record.header("dlq_topic")
        return value.decode() if value else ""

    summary = run(get_settings(ctx), keep=f.build(filters or [], topic_of=original_topic),
                  max_redrives=max_redrives, dry_run=dry_run)
    verb = "would send" if dry_run else "sent"
    for (topic, stage, code), n in sorted(summary.sent.items()):
        typer.echo(f"{verb} {n:>6,}  {topic}  {stage}/{code}")
    for (topic, stage, code), n in sorted(summary.refused.items()):
        typer.echo(f"refused {n:>6,}  {topic}  {stage}/{code} (redriven {max_redrives} times already)")
    typer.echo(f"{'dry run: ' if dry_run else ''}{sum(summary.sent.values()):,} {verb}, "
               f"{sum(summary.refused.values()):,} refused, {summary.skipped:,} filtered out")


def register(app: typer.Typer) -> None:
    """Attach ``dlq redrive``."""
    groups.dlq_app.command("redrive")(redrive)
