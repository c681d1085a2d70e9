"""``sigma validate`` (online, or offline with ``--from-file``), ``sigma report`` (a validator group's) and
``sigma dossier``."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer

from schemas.timing import DEFAULT_ALLOWED_LATENESS_HOURS
from sigma.context import settings_as

if TYPE_CHECKING:
    from runtime.settings import Settings
    from validator.emptiness import Source
    from validator.gate import Limits


def _write_reports(report: dict[str, Any], report_json: Path | None, site: Any, engine: Any) -> None:
    """Write the JSON report and the site, each whole or not at all; one error naming every output not written."""
    from runtime import outputs
    from runtime.errors import SigmaError

    failed = []
    if report_json is not None:
        try:
            outputs.write_text(report_json, json.dumps(report, indent=2) + "\n", "--report-json")
        except SigmaError as exc:
            failed.append(exc)
    if site is not None:
        try:
            site.write(report, engine.state.dossiers)
        except SigmaError as exc:
            failed.append(exc)
        except OSError as exc:
            failed.append(outputs.failure(site.index, "--report-html", exc))
    if len(failed) == 1:
        raise failed[0]
    if failed:
        raise SigmaError("; ".join(f.message for f in failed),
                         fix="check free space and permissions of those folders; nothing was replaced")


def _report(engine: Any, simulation: dict[str, Any] | None) -> dict[str, Any]:
    from validator.report.model import build_report

    return build_report(engine.verdicts(), engine.state.counters,
                        checkpoint_hours=engine.checkpoint_before.total_seconds() / 3600,
                        dead_letters=engine.rejection_summary(), unknown_cases=engine.unknown_cases(),
                        late_deliveries=engine.late_deliveries(), simulation=simulation)


def _share(text: str) -> float:
    """``--fail-on-defect-rate``: a share (0.5) or a percentage (50%)."""
    from validator.gate import share

    try:
        return share(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _judge(report: dict[str, Any], source: Source, cases: int, limits: Limits) -> None:
    """After the report files are written: exit 2 when the run validated nothing (naming the likely cause), 1
    when it passed a limit (each one passed, by how much), on one line."""
    from runtime.errors import SigmaError, UsageError
    from validator.emptiness import nothing_validated
    from validator.gate import exceeded

    nothing = nothing_validated(report, source, cases)
    if nothing is not None:
        raise UsageError(nothing.message, fix=nothing.fix)
    passed = exceeded(report, limits)
    if passed:
        raise SigmaError("; ".join(p.message for p in passed), fix="; ".join(p.fix for p in passed))


def _require_append_time(settings: Settings) -> None:
    """The wall event clock online: refuse (one line naming the fix) when a chain topic it reads does not stamp
    records with the broker's append time; a missing topic is the validator's own error, a moment later."""
    from runtime.topics import timestamp_types
    from schemas.topics import CHAIN_TOPICS
    from validator.arrival import require_append_time

    require_append_time(timestamp_types(settings, [settings.topic_prefix + t.name for t in CHAIN_TOPICS]))


def _serving(metrics: Any, address: str, port: int | None) -> AbstractContextManager[Any]:
    """The metrics server while the validator runs (nothing without a port)."""
    if port is None:
        return nullcontext()
    import structlog

    from runtime.metrics import MetricsServer

    server = MetricsServer(metrics.registry, metrics.checks(), address=address, port=port)
    structlog.get_logger(__name__).info("serving metrics", url=f"http://{address}:{server.port}/metrics",
                                        health=["/healthz", "/readyz"])
    return server


def validate(
    ctx: typer.Context,
    to_end: bool = typer.Option(False, "--to-end", help="Stop once caught up with the end of every partition."),
    from_file: Path | None = typer.Option(None, "--from-file", help="Validate a recording offline (no broker)."),
    group: str = typer.Option("sigma-validator", "--group",
                              help="Consumer group; a new group starts from the earliest."),
    checkpoint_hours: float = typer.Option(48.0, "--checkpoint-hours", min=0,
                                           help="Checkpoint: hours before scheduled departure."),
    allowed_lateness: float = typer.Option(
        DEFAULT_ALLOWED_LATENESS_HOURS, "--allowed-lateness", min=0,
        help="Hours of event time a case waits after its checkpoint for evidence "
        "recorded before it (a partner exporting hourly publishes records up to an hour old)."),
    event_clock: Literal["stream", "wall"] | None = typer.Option(
        None, "--event-clock", help="stream: a record is late by its partition's event time (simulations, replays); "
        "wall: also by the broker's append time, which no partner can back-date (a live chain recording in "
        "wall-clock time; its chain topics must be LogAppendTime). Default: SIGMA_EVENT_CLOCK, else stream."),
    idle_timeout: float = typer.Option(
        1.0, "--idle-timeout", min=0, help="Seconds a caught-up partition may stay quiet before it no longer "
        "holds the event-time watermark back."),
    report_json: Path | None = typer.Option(None, "--report-json", help="Write the report as JSON."),
    report_html: Path | None = typer.Option(
        None, "--report-html", help="Write the HTML report here, with a page per defective case in a folder beside "
        "it named after it (report.html: report/); static files, no server needed."),
    simulated: bool = typer.Option(False, "--simulated", help="Say in the HTML report that the records are simulated."),
    state_dir: Path | None = typer.Option(None, "--state-dir", help="Snapshot folder (default .sigma/validator)."),
    snapshot_interval: float = typer.Option(5.0, "--snapshot-interval", min=0.05,
                                            help="Seconds between snapshots (and offset commits)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No table at the end."),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", min=0, max=65535,
        help="Serve Prometheus metrics at /metrics, and /healthz and /readyz, on this port (online only)."),
    metrics_address: str = typer.Option("127.0.0.1", "--metrics-address",
                                        help="Address the metrics server listens on (0.0.0.0: every interface)."),
    simulation_summary: Path | None = typer.Option(
        None, "--simulation-summary",
        help="The data is simulated: the --summary-json of its sigma simulate run, whose fidelity table "
             "the report shows."),
    fail_on_defect_rate: float | None = typer.Option(
        None, "--fail-on-defect-rate", metavar="R", parser=_share,
        help="Exit 1 when the share of checked cases with a defect exceeds R (0.5 or 50%), after writing the "
             "report; with --from-file or --to-end (a run that ends)."),
    fail_on_dead_letters: int | None = typer.Option(
        None, "--fail-on-dead-letters", metavar="N", min=0,
        help="Exit 1 when more than N records were dead-lettered, after writing the report; with --from-file or "
             "--to-end."),
) -> None:
    """Check every case's dossier at its checkpoint and report completeness next to the 2018 baseline."""
    from rich.console import Console

    from runtime import context, outputs
    from runtime.errors import UsageError
    from runtime.progress import progress
    from schemas.access import VALIDATOR
    from validator.emptiness import Source
    from validator.gate import DEAD_LETTERS_FLAG, DEFECT_RATE_FLAG, Limits
    from validator.report import text
    from validator.report.run import offline, online
    from validator.report.simulation import load_simulation
    from validator.report.site import Site

    simulation = load_simulation(simulation_summary) if simulation_summary is not None else None
    settings = settings_as(ctx, VALIDATOR)
    if from_file is not None and metrics_port is not None:
        raise UsageError("--metrics-port serves the online validator's metrics",
                         fix="leave it out with --from-file (the report has the figures)")
    limits = Limits(defect_rate=fail_on_defect_rate, dead_letters=fail_on_dead_letters)
    if limits.any() and from_file is None and not to_end:
        flag = DEFECT_RATE_FLAG if fail_on_defect_rate is not None else DEAD_LETTERS_FLAG
        raise UsageError(f"{flag} judges a run that ends, and this one runs until stopped",
                         fix="add --to-end (or validate a recording with --from-file); a validator that runs on is "
                             "watched with the alert rules in deploy/alerts.yml")
    for path, what in ((report_json, "--report-json"), (report_html, "--report-html")):
        if path is not None:
            outputs.check(path, what)  # now, not after a run of hours
    simulated = simulated or simulation is not None
    clock = event_clock or settings.event_clock
    run = offline(from_file, simulated=simulated) if from_file else online(settings.topic_prefix, group,
                                                                               simulated=simulated)
    site = Site(report_html, run) if report_html is not None else None
    if from_file is not None:
        from validator.engine import Engine
        from validator.offline import chain_prefixes, recorded_prefix, recorded_topics, validate_recording

        prefix = recorded_prefix(from_file, settings.topic_prefix)
        recorded = recorded_topics(from_file)
        source = Source(prefix, context.describe(settings), from_file, recorded, chain_prefixes(recorded))
        engine = Engine(checkpoint_hours=checkpoint_hours, topic_prefix=prefix,
                        eviction_grace_hours=settings.eviction_grace_hours or None,
                        allowed_lateness_hours=allowed_lateness, event_clock=clock)
        with progress("validating recording", None) as tracker:
            validate_recording(from_file, engine, tracker)
    else:
        from validator.online import OnlineOptions, OnlineValidator

        source = Source(settings.topic_prefix, context.describe(settings))
        if clock == "wall":
            _require_append_time(settings)

        def refresh(current: Any) -> None:
            """Keep the report files current while running (judging every case: only when asked for)."""
            if not to_end and (report_json is not None or report_html is not None):
                _write_reports(_report(current, simulation), report_json, site, current)

        options = OnlineOptions(group=group, checkpoint_hours=checkpoint_hours, to_end=to_end, state_dir=state_dir,
                                snapshot_interval=snapshot_interval, allowed_lateness_hours=allowed_lateness,
                                idle_timeout=idle_timeout, event_clock=clock, on_snapshot=refresh)
        validator = OnlineValidator(settings, options)
        outputs.check_folder(validator.snapshot_file.parent, "--state-dir" if state_dir else "SIGMA_HOME")
        with progress("validating", None) as tracker, _serving(options.metrics, metrics_address, metrics_port):
            try:
                engine = validator.run(tracker)
            except KeyboardInterrupt as exc:
                from runtime.interrupt import exit_code

                typer.echo("stopped; state and offsets are saved up to the last commit", err=True)
                raise typer.Exit(exit_code(exc)) from None
    report = _report(engine, simulation)
    if not quiet:
        text.render(report, Console())
    _write_reports(report, report_json, site, engine)
    _judge(report, source, engine.case_count(), limits)


def dossier(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case key (ck_…)."),
    from_file: Path | None = typer.Option(None, "--from-file", help="Read the case from a recording instead."),
    checkpoint_hours: float = typer.Option(48.0, "--checkpoint-hours", min=0),
) -> None:
    """Show what each partner shared for one case, and what is missing, late, contradictory or invalid."""
    from rich.console import Console

    from schemas.access import VALIDATOR
    from validator.dossier_view import collect, render

    settings = settings_as(ctx, VALIDATOR)
    engine = collect(settings, case, from_file=from_file, checkpoint_hours=checkpoint_hours)
    render(engine, case, Console())


def report(
    ctx: typer.Context,
    group: str = typer.Option("sigma-validator", "--group", help="The validator group to report on."),
    checkpoint_hours: float = typer.Option(48.0, "--checkpoint-hours", min=0,
                                           help="Checkpoint: hours before scheduled departure (as validated)."),
    allowed_lateness: float = typer.Option(DEFAULT_ALLOWED_LATENESS_HOURS, "--allowed-lateness", min=0,
                                           help="Hours a case waits after its checkpoint (as validated)."),
    report_json: Path | None = typer.Option(None, "--report-json", help="Write the report as JSON."),
    report_html: Path | None = typer.Option(None, "--report-html", help="Write the HTML report here."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No table."),
) -> None:
    """The report of a whole validator group, from what it committed: the latest finding of each case on the
    findings topic and the counts in the group's changelog (read_committed)."""
    from kafka.errors import KafkaError
    from rich.console import Console

    from runtime import outputs
    from runtime.errors import SigmaError
    from schemas.access import VALIDATOR
    from validator.engine import Engine
    from validator.group_report import group_report
    from validator.report import text
    from validator.report.run import online
    from validator.report.site import Site

    settings = settings_as(ctx, VALIDATOR)
    for path, what in ((report_json, "--report-json"), (report_html, "--report-html")):
        if path is not None:
            outputs.check(path, what)
    engine = Engine(checkpoint_hours=checkpoint_hours, topic_prefix=settings.topic_prefix,
                    eviction_grace_hours=settings.eviction_grace_hours or None,
                    allowed_lateness_hours=allowed_lateness, event_clock=settings.event_clock)
    try:
        found = group_report(settings, group, engine)
    except KafkaError as exc:
        raise SigmaError(f"Kafka failed the report: {type(exc).__name__}: {exc}"[:300],
                         fix="check that the cluster is up and run again") from exc
    if not quiet:
        text.render(found, Console())
    site = Site(report_html, online(settings.topic_prefix, group, simulated=False)) if report_html else None
    _write_reports(found, report_json, site, engine)


def register(app: typer.Typer) -> None:
    """Attach ``validate``, ``report`` and ``dossier``."""
    app.command("validate")(validate)
    app.command("report")(report)
    app.command("dossier")(dossier)
