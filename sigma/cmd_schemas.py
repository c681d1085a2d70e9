"""``sigma schemas list|generate|docs``: the message book on the command line.

``generate --check`` and ``docs --check`` are what CI runs: they change nothing and exit 1 when a model
changed without regenerating, naming each stale file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import typer

from runtime.errors import SigmaError
from sigma import groups

RootOpt = typer.Option(None, "--root", help="Repository root holding schemas/ (default: where the package lives).")


def register(app: typer.Typer) -> None:
    """Attach the message-book commands to the shared ``schemas`` group."""
    groups.schemas_app.command("list")(list_subjects)
    groups.schemas_app.command("generate")(generate)
    groups.schemas_app.command("docs")(docs)


def list_subjects(
    output: Literal["table", "json"] = typer.Option("table", "--format", help="table for people, json for tools."),
) -> None:
    """Show every subject: released versions, topics (one per producer), producing and reading partners."""
    from schemas import catalogue

    subjects = catalogue.subjects()
    if output == "json":
        rows = [{"subject": s.name, "versions": list(s.versions), "topics": {p.value: t for p, t in s.topics.items()},
                 "producers": sorted(p.value for p in s.producers), "readers": sorted(p.value for p in s.readers),
                 "model": s.model.__name__} for s in subjects]
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("subject", "versions", "topics", "producers", "readers")
    for s in subjects:
        versions = ", ".join(f"v{v}" for v in s.versions) or "none (run sigma schemas generate)"
        table.add_row(s.name, versions, "\n".join(s.topics.values()), ", ".join(sorted(p.value for p in s.producers)),
                      ", ".join(sorted(p.value for p in s.readers)))
    Console(width=160).print(table)


def generate(
    check: bool = typer.Option(False, "--check", help="Change nothing; exit 1 listing stale or missing files."),
    root: Path | None = RootOpt,
) -> None:
    """Write the Avro and JSON Schema files of the models' current versions; released files never change."""
    from runtime import outputs
    from schemas import generate as gen
    from schemas import layout
    from schemas.errors import ImmutableVersionError

    base = root or layout.REPO_ROOT
    if check:
        problems = gen.check(base)
        for problem in problems:
            typer.echo(f"{problem.kind}: {problem.path}")
        if problems:
            raise SigmaError(f"{len(problems)} schema file(s) out of date with the models",
                             fix="run `sigma schemas generate` (a changed model needs a new `version`)")
        typer.echo(f"schema files up to date ({len(gen.render_all())} files)")
        return
    try:
        written = gen.write(base, save=lambda target, text: outputs.write_text(target, text, "--root"))
    except ImmutableVersionError as exc:
        raise SigmaError(f"{exc.path}: released version v{exc.version} of {exc.subject} is immutable",
                         fix=f"bump `version` on {exc.subject}'s model and run `sigma schemas generate`") from None
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(f"{len(written)} file(s) written; {len(gen.render_all()) - len(written)} already released")


def docs(
    out: Path = typer.Option(Path("docs"), "--out",
                             help="Folder for asyncapi.yaml, message-book.md and wire-contract-vectors.json."),
    check: bool = typer.Option(False, "--check", help="Change nothing; exit 1 when the files in --out are stale."),
) -> None:
    """Write the AsyncAPI 3.0 document, the Markdown message book and the wire contract's test vectors."""
    from runtime import outputs
    from schemas.docs import render_docs

    rendered = render_docs()
    if check:
        stale = [name for name, text in rendered.items()
                 if not (out / name).exists() or (out / name).read_text(encoding="utf-8") != text]
        for name in stale:
            typer.echo(f"stale: {out / name}")
        if stale:
            raise SigmaError(f"{len(stale)} generated document(s) out of date",
                             fix=f"run `sigma schemas docs --out {out}`")
        typer.echo("documents up to date")
        return
    for name in rendered:
        outputs.check(out / name, "--out")
    for name, text in rendered.items():
        outputs.write_text(out / name, text, "--out")
        typer.echo(f"wrote {out / name}")
