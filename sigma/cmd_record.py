"""``sigma record`` and ``sigma replay``."""

from __future__ import annotations

from pathlib import Path

import typer

from sigma.context import settings_as

FilterOpt = typer.Option(None, "--filter", help="KEY=VALUE, repeatable: topic=REGEX, case=KEY, partner=NAME, "
                         "from=TIME, until=TIME.")


def record(
    ctx: typer.Context,
    topics: str | None = typer.Option(
        None, "--topics", help="Regular expression over whole topic names, e.g. 'demo-1\\.chain\\..*' (default: "
        "the chain topics under the topic prefix in effect, see `sigma context`)."),
    out: Path = typer.Option(..., "--out", help="Recording file (.jsonl, .jsonl.gz or .jsonl.zst); written under a "
                             "temporary name and renamed when complete."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists (refused otherwise)."),
    to_end: bool = typer.Option(False, "--to-end",
                                help="Stop at the end offsets seen at start (else at Ctrl-C or SIGTERM)."),
    start: str | None = typer.Option(None, "--from", help="Start at this time (ISO 8601 or epoch ms)."),
    until: str | None = typer.Option(None, "--until", help="Leave out records after this time."),
    include_outputs: bool = typer.Option(
        False, "--include-outputs", help="Also record sigma's own output topics (findings, dead letters), left out "
        "by default: offline validation reads only the partners' topics."),
) -> None:
    """Capture topics losslessly: keys, values, headers (in order, duplicates kept), timestamps."""
    from consumers.filters import parse_time
    from consumers.record import record as run
    from runtime import outputs
    from runtime.progress import progress
    from schemas.access import TOOLS

    outputs.check(out, "--out", replace=force)
    with progress("recording", None) as tracker:
        summary = run(settings_as(ctx, TOOLS), topics, out, to_end=to_end,
                      start_ms=parse_time(start) if start else None, until_ms=parse_time(until) if until else None,
                      tracker=tracker, outputs=include_outputs)
    how = "interrupted; file closed cleanly" if summary.interrupted else "done"
    typer.echo(f"recorded {summary.records:,} records from {len(summary.topics)} topics to {summary.path} ({how})")


def replay(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A recording made by `sigma record`."),
    speed: str = typer.Option("max", "--speed", help="N: original spacing N times faster; max: no waiting."),
    preserve_timestamps: bool = typer.Option(False, "--preserve-timestamps", help="Keep original timestamps."),
    prefix: str = typer.Option("", "--prefix", help="Replay into PREFIX + topic (a sandbox)."),
    filters: list[str] | None = FilterOpt,
) -> None:
    """Produce a recording back into the same partitions, in order, optionally paced.

    Missing target topics are created with the recorded partition counts.
    """
    from consumers import filters as f
    from consumers.replay import replay as run
    from runtime.errors import UsageError
    from runtime.progress import progress
    from schemas.access import TOOLS

    try:
        pace = None if speed == "max" else float(speed)
    except ValueError:
        raise UsageError(f"bad --speed {speed!r}", fix="give a positive number or 'max'") from None
    if pace is not None and pace <= 0:
        raise UsageError(f"bad --speed {speed!r}", fix="give a positive number or 'max'")
    with progress("replaying", None) as tracker:
        summary = run(settings_as(ctx, TOOLS), file, speed=pace, preserve_timestamps=preserve_timestamps, prefix=prefix,
                      keep=f.build(filters or []), tracker=tracker,
                      warn=lambda text: typer.echo(f"warning: {text}", err=True))
    for topic, count in sorted(summary.sent.items()):
        typer.echo(f"{count:>9,}  {topic}")
    typer.echo(f"replayed {sum(summary.sent.values()):,} records ({summary.skipped:,} filtered out) "
               f"in {summary.seconds:.1f}s")


def register(app: typer.Typer) -> None:
    """Attach ``record`` and ``replay``."""
    app.command("record")(record)
    app.command("replay")(replay)
