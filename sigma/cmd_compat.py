"""``sigma schemas compat`` and ``sigma schemas check``: schema compatibility without a registry.

Exit codes: 0 compatible (or every break accepted by the baseline), 1 incompatible, 2 usage or input error
(unparseable schema, unknown level, missing ref) with one line saying what and how to fix it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

from sigma import groups

_DRAFT_HELP = ("JSON Schema draft of schemas without $schema: draft-04, draft-06, draft-07 (as Confluent Schema "
               "Registry), 2019-09 or 2020-12.")


def compat(
    old: Path = typer.Argument(..., help="The old schema file (.avsc or .json)."),
    new: Path = typer.Argument(..., help="The new schema file."),
    level: str = typer.Option("BACKWARD", "--level", help="NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, "
                              "FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE (for two files the transitive forms "
                              "equal the plain ones)."),
    kind: Literal["avro", "jsonschema"] | None = typer.Option(
        None, "--type", help="avro or jsonschema, when extension and content leave it open."),
    fmt: Literal["text", "json"] = typer.Option("text", "--format", help="text for people, json for tools."),
    default_draft: str = typer.Option("draft-07", "--default-draft", help=_DRAFT_HELP),
) -> None:
    """Compare two schema files at a compatibility level: every violation, with verified counter-examples."""
    from compat import drafts, load
    from compat.compare import compare as run
    from compat.formats import render
    from compat.levels import parse
    from compat.model import CompatInputError

    try:
        name = parse(level)
        draft = drafts.parse_name(default_draft)
        before = load.read(old, kind, draft=draft)
        after = load.read(new, kind, hint=before.kind, draft=draft)
        result = run(before, after, name)
    except CompatInputError as exc:
        raise _usage(exc, "see `sigma schemas compat --help`") from None
    typer.echo(render(result, fmt), nl=False)
    raise typer.Exit(0 if result.compatible else 1)


def check(
    against: str | None = typer.Option(None, "--against", help="Git ref to compare with (e.g. origin/main), or a "
                                       "directory holding a schemas/ catalogue."),
    traffic: Path | None = typer.Option(None, "--traffic", help="A recording (`sigma record`): decode every record "
                                        "with the latest version of its subject in ROOT (the candidate) and report "
                                        "the records it would reject or read with another meaning."),
    fmt: Literal["text", "json", "junit", "github", "sarif"] = typer.Option(
        "text", "--format", help="text, json, junit (XML), github (workflow annotations) or sarif (2.1.0)."),
    root: Path | None = typer.Option(None, "--root", help="Repository root of the working tree (default: where "
                                     "the schemas package lives)."),
    baseline: Path | None = typer.Option(None, "--baseline", help="Accepted violations with reason and expiry "
                                         "(default: ROOT/schemas/compat-baseline.toml)."),
    config: Path | None = typer.Option(None, "--config", help="Levels per subject (default: "
                                       "ROOT/schemas/compat.toml)."),
    models: bool | None = typer.Option(None, "--models/--no-models", help="Also fail when a model changed "
                                       "without its schema being generated (default: on for this repository)."),
    default_draft: str = typer.Option("draft-07", "--default-draft", help=_DRAFT_HELP),
) -> None:
    """Check the catalogue against a git ref: levels per subject, immutable releases, generated models; and/or
    a candidate version against recorded traffic (``--traffic``)."""
    from compat import drafts
    from compat.catalogue_check import BASELINE
    from compat.catalogue_check import check as run
    from compat.formats import render
    from compat.gitref import working_tree
    from compat.model import CompatInputError
    from runtime.errors import UsageError
    from schemas import layout

    if against is None and traffic is None:
        raise UsageError("give --against, --traffic or both", fix="see `sigma schemas check --help`")
    base = (root or layout.REPO_ROOT).resolve()
    traffic_failed = traffic is not None and _traffic(traffic, base, fmt)
    if against is None:
        raise typer.Exit(1 if traffic_failed else 0)
    for given, flag in ((baseline, "--baseline"), (config, "--config")):
        if given is not None and not given.is_file():  # only the defaults may be absent
            raise UsageError(f"{flag} {given}: no such file", fix="see `sigma schemas check --help`")
    if Path(against).is_dir() and not working_tree(Path(against)):  # comparing with nothing passes every check
        raise UsageError(f"--against {against} holds no schema catalogue (no schemas/avro/SUBJECT/vN.avsc or "
                         "schemas/jsonschema/SUBJECT/vN.json)",
                         fix="give the root of a checkout that has one, or a git ref")
    if models is None:
        models = base == layout.REPO_ROOT.resolve()
    rendered = None
    if models:
        from schemas.generate import render_all

        rendered = render_all
    try:
        draft = drafts.parse_name(default_draft)
        result = run(base, against, baseline=baseline or base / BASELINE, config=config, rendered=rendered,
                     draft=draft)
    except CompatInputError as exc:
        raise _usage(exc, "see `sigma schemas check --help` and docs/compat.md") from None
    typer.echo(render(result, fmt), nl=False)
    raise typer.Exit(0 if result.compatible and not traffic_failed else 1)


def _traffic(recording: Path, root: Path, fmt: str) -> bool:
    """Print what the candidate catalogue at ``root`` does to the recorded records; True when it rejects or
    changes any."""
    import json

    from consumers.traffic import check_traffic
    from schemas.catalogue import Catalogue

    result = check_traffic(recording, Catalogue(root=root))
    if fmt == "json":
        typer.echo(json.dumps({"records": result.records, "already_invalid": result.already_invalid,
                               "counts": result.counts, "findings": [vars(f) for f in result.findings]}, indent=2))
    else:
        for f in result.findings:
            typer.echo(f"{f.topic}/{f.partition}@{f.offset}  {f.subject}  {f.kind}  {f.path or '-'}  {f.detail}")
        for what, count in result.counts.items():
            typer.echo(f"{what}: {count}")
        typer.echo(f"traffic: {result.records} records, {len(result.findings)} finding(s), "
                   f"{result.already_invalid} invalid in their own version too")
    return bool(result.findings)


def _usage(exc: Exception, fix: str) -> Exception:
    from runtime.errors import UsageError

    return UsageError(" ".join(str(exc).split()), fix=fix)


def register(app: typer.Typer) -> None:
    """Attach ``compat`` and ``check`` to the ``schemas`` group."""
    groups.schemas_app.command("compat")(compat)
    groups.schemas_app.command("check")(check)
