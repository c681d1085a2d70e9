"""``sigma schemas compat`` and ``sigma schemas check``: exit 0 compatible, 1 incompatible, 2 bad input."""

from __future__ import annotations

from pathlib import Path

import typer

from sigma.cli import groups


def compat(
    old: Path = typer.Argument(..., help="The old schema file (.avsc or .json)."),
    new: Path = typer.Argument(..., help="The new schema file."),
    level: str = typer.Option("BACKWARD", "--level", help="NONE, BACKWARD(_TRANSITIVE), FORWARD(_TRANSITIVE), "
                              "FULL(_TRANSITIVE)."),
    kind: str | None = typer.Option(None, "--type", help="avro or jsonschema, when the files are ambiguous."),
    fmt: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """Compare two schema files at a compatibility level; every violation, with counter-examples."""
    from schemas.compat.compare import compare as run
    from schemas.compat.compare import detect, load
    from schemas.compat.formats import render
    from schemas.compat.levels import parse
    from schemas.compat.locate import line_of
    from schemas.compat.model import CompatInputError, Result
    from sigma.errors import UsageError

    if fmt not in ("text", "json"):
        raise UsageError(f"unknown --format {fmt!r}", fix="use text or json")
    try:
        name = parse(level)
        _, old_doc = load(old)
        new_text, new_doc = load(new)
        found = detect(old, old_doc, kind)
        if detect(new, new_doc, kind if kind else found) != found:
            raise CompatInputError(f"{old} and {new} are not the same kind of schema")
        violations = run(old_doc, new_doc, found, name)
    except CompatInputError as exc:
        raise UsageError(str(exc), fix="see `sigma schemas compat --help`") from None
    result = Result(tuple(v.at(file=str(new), line=line_of(new_text, v.path)) for v in violations), 1)
    typer.echo(render(result, fmt), nl=False)
    raise typer.Exit(0 if result.compatible else 1)


def check(
    against: str = typer.Option(..., "--against", help="Git ref (origin/main) or a directory holding schemas/."),
    fmt: str = typer.Option("text", "--format", help="text, json, junit, github or sarif."),
    baseline: Path = typer.Option(Path("schemas/compat-baseline.toml"), "--baseline",
                                  help="Accepted violations with reason and expiry."),
    root: Path = typer.Option(Path("."), "--root", help="Repository root of the working tree."),
) -> None:
    """Check the catalogue against a git ref: levels per subject, immutable releases, generated models."""
    from schemas.compat.catalogue_check import check as run
    from schemas.compat.formats import FORMATS, render
    from schemas.compat.model import CompatInputError
    from sigma.errors import UsageError

    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}", fix=f"use one of {', '.join(FORMATS)}")
    try:
        result = run(root.resolve(), against, baseline=root / baseline if not baseline.is_absolute() else baseline)
    except CompatInputError as exc:
        raise UsageError(str(exc), fix="see `sigma schemas check --help`") from None
    typer.echo(render(result, fmt), nl=False)
    raise typer.Exit(0 if result.compatible else 1)


def register(app: typer.Typer) -> None:
    """Attach ``compat`` and ``check`` to the ``schemas`` group."""
    groups.schemas_app.command("compat")(compat)
    groups.schemas_app.command("check")(check)
