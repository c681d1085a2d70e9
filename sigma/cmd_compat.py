"""``sigma schemas compat`` and ``sigma schemas check``: schema compatibility without a registry.

Exit codes: 0 compatible (or every break accepted by the baseline), 1 incompatible, 2 usage or input error
(unparseable schema, unknown level, missing ref) with one line saying what and how to fix it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer

from sigma import groups

if TYPE_CHECKING:
    from consumers.traffic import TrafficResult

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
    if traffic is not None and fmt not in ("text", "json"):
        raise UsageError(f"--traffic reports as text or json, not {fmt}",
                         fix="give --format text or json, or check --against on its own in that format")
    base = (root or layout.REPO_ROOT).resolve()
    traffic_report = _traffic(traffic, base) if traffic is not None else None
    traffic_failed = traffic_report is not None and bool(traffic_report.findings)
    if against is None:
        if traffic_report is not None:
            typer.echo(_traffic_json(traffic_report) if fmt == "json" else _traffic_text(traffic_report))
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
    if traffic_report is None:
        typer.echo(render(result, fmt), nl=False)
    elif fmt == "json":  # one document for a machine: both checks under their names
        import json

        typer.echo(json.dumps({"catalogue": json.loads(render(result, fmt)),
                               "traffic": json.loads(_traffic_json(traffic_report))}, indent=2))
    else:
        typer.echo(_traffic_text(traffic_report))
        typer.echo(render(result, fmt), nl=False)
    raise typer.Exit(0 if result.compatible and not traffic_failed else 1)


def _traffic(recording: Path, root: Path) -> TrafficResult:
    """What the candidate catalogue at ``root`` does to the recorded records (``consumers.traffic``)."""
    from consumers.traffic import check_traffic
    from schemas.catalogue import Catalogue

    return check_traffic(recording, Catalogue(root=root))


def _traffic_json(result: TrafficResult) -> str:
    import json

    return json.dumps({"records": result.records, "already_invalid": result.already_invalid,
                       "counts": result.counts, "findings": [vars(f) for f in result.findings]}, indent=2)


def _traffic_text(result: TrafficResult) -> str:
    lines = [f"{f.topic}/{f.partition}@{f.offset}  {f.subject}  {f.kind}  {f.path or '-'}  {f.detail}"
             for f in result.findings]
    lines += [f"{what}: {count}" for what, count in result.counts.items()]
    lines.append(f"traffic: {result.records} records, {len(result.findings)} finding(s), "
                 f"{result.already_invalid} invalid in their own version too")
    return "\n".join(lines)


def _usage(exc: Exception, fix: str) -> Exception:
    from runtime.errors import UsageError

    return UsageError(" ".join(str(exc).split()), fix=fix)


def register(app: typer.Typer) -> None:
    """Attach ``compat`` and ``check`` to the ``schemas`` group."""
    groups.schemas_app.command("compat")(compat)
    groups.schemas_app.command("check")(check)
