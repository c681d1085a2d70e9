"""``sigma conformance``: check a partner's recorded output (or live topics) against the wire contract."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

import typer

from sigma.context import settings as get_settings


def conformance(
    ctx: typer.Context,
    recording: Path | None = typer.Argument(None, help="A recording of your system's output (`sigma record`)."),
    topics: str | None = typer.Option(None, "--topics", help="Instead of a recording: read these topics (a regular "
                                      "expression over topic names) from the cluster up to their current end."),
    fmt: Literal["text", "json", "junit"] = typer.Option("text", "--format", help="text, json or junit (XML)."),
    out: Path | None = typer.Option(None, "--out", help="Write the result here instead of to stdout."),
) -> None:
    """Every record that breaks the wire contract, as the validator judges it: coordinates, rule, field, fix.

    Exit 0 when every record conforms, 1 when any does not (for CI).
    """
    from consumers.record import record
    from runtime import outputs
    from runtime.errors import UsageError
    from runtime.progress import progress
    from validator.conformance import check_recording, render

    if (recording is None) == (topics is None):
        raise UsageError("give a recording or --topics, not both or neither", fix="see `sigma conformance --help`")
    if out is not None:
        outputs.check(out, "--out")
    settings = get_settings(ctx)
    with tempfile.TemporaryDirectory(prefix="sigma-conformance-") as scratch:
        if topics is not None:
            recording = Path(scratch) / "topics.jsonl"
            with progress("reading topics", None) as tracker:
                record(settings, topics, recording, to_end=True, tracker=tracker)
        assert recording is not None
        with progress("checking records", None) as tracker:
            result = check_recording(recording, topic_prefix=settings.topic_prefix, tracker=tracker)
    text = render(result, fmt)
    if out is not None:
        outputs.write_text(out, text, "--out")
    else:
        typer.echo(text, nl=False)
    if not result.conforms:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Attach ``conformance``."""
    app.command("conformance")(conformance)
