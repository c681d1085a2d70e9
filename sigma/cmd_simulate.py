"""``sigma simulate``: the simulated chain partners publishing a reproducible stream, with its ground truth."""

from __future__ import annotations

from pathlib import Path

import typer

from schemas.timing import DEFAULT_ALLOWED_LATENESS_HOURS
from sigma.context import settings as get_settings


def register(app: typer.Typer) -> None:
    """Attach ``simulate`` to the root command."""
    app.command("simulate")(simulate)


def simulate(
    ctx: typer.Context,
    cases: int = typer.Option(1000, "--cases", min=0, help="Number of cases to simulate."),
    seed: int = typer.Option(1, "--seed", help="Random seed: one seed and profile give one stream, ids included."),
    profile: str = typer.Option(
        "inspectie-2018", "--profile",
        help="Defect profile: a built-in name (inspectie-2018, ideal) or the path of a .toml file."),
    truth: Path | None = typer.Option(
        None, "--truth", help="Write the ground truth here (JSON Lines: case, checked, defects)."),
    speed: float | None = typer.Option(
        None, "--speed", min=0.001,
        help="Pace on the simulated clock at N times real time (default: as fast as possible)."),
    summary_json: Path | None = typer.Option(
        None, "--summary-json",
        help="Also write the summary (events per partner and type, the fidelity table) as JSON here."),
    publication_delay: list[str] = typer.Option(
        [], "--publication-delay", metavar="PARTNER=HOURS",
        help="Publish a partner's events this many hours after they are recorded, like a system exporting in "
        "batches (repeatable; overrides the profile's [publication_delay])."),
    publication_batch: list[str] = typer.Option(
        [], "--publication-batch", metavar="PARTNER=HOURS",
        help="A partner exports in batches every this many hours: its events are published at the next multiple "
        "of the period, after its delay (repeatable; overrides the profile's [publication_batch])."),
    office_delay: list[str] = typer.Option(
        [], "--office-delay", metavar="PARTNER=HOURS",
        help="A partner's second office (half its cases, by case key) publishes this many hours after its first: "
        "its records reach the partner's topics behind later-recorded ones, late deliveries if beyond the allowed "
        "lateness (repeatable; overrides the profile's [office_delay])."),
    allowed_lateness: float = typer.Option(
        DEFAULT_ALLOWED_LATENESS_HOURS, "--allowed-lateness", min=0,
        help="The validator's allowed lateness (hours) the summary's late deliveries are counted for."),
) -> None:
    """Simulate IND, COA, DT&V, KMar, police, DJI and the medical service sharing what they know about
    each case, into the chain topics (SIGMA_TOPIC_PREFIX applies). Fails, with the count and the reason,
    if any event could not be delivered."""
    import dataclasses
    import json

    from producers.profile import load_profile, parse_hours
    from producers.runner import SimulationRun, require_topics
    from producers.runner import simulate as run_simulation
    from runtime import outputs
    from runtime.progress import progress

    for path, what in ((truth, "--truth"), (summary_json, "--summary-json")):
        if path is not None:
            outputs.check(path, what)
    chosen = load_profile(profile)
    delays = [parse_hours("--publication-delay", text) for text in publication_delay]
    batches = [parse_hours("--publication-batch", text) for text in publication_batch]
    offices = [parse_hours("--office-delay", text) for text in office_delay]
    chosen = dataclasses.replace(chosen, publication_delays=chosen.publication_delays | dict(delays),
                                 publication_batches=chosen.publication_batches | dict(batches),
                                 office_delays=chosen.office_delays | dict(offices))
    settings = get_settings(ctx)
    require_topics(settings, settings.topic_prefix)
    run = SimulationRun(cases=cases, seed=seed, profile=chosen, topic_prefix=settings.topic_prefix,
                        case_key_secret=settings.case_key_secret.get_secret_value().encode(),
                        truth=truth, speed=speed, allowed_lateness_hours=allowed_lateness)
    with progress(f"simulating {cases} cases", total=cases) as tracker:
        summary = run_simulation(settings, run, tracker)
    _print_summary(summary.to_json())
    if summary_json is not None:
        outputs.write_text(summary_json, json.dumps(summary.to_json(), indent=2) + "\n", "--summary-json")


def _print_summary(summary: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    from validator.report.text import fidelity_table

    table = Table("partner", "event type", "events", title="events sent", title_justify="left")
    rows = summary["by_partner_type"]
    assert isinstance(rows, list)
    for row in rows:
        table.add_row(row["partner"], row["type"], f"{row['events']:,}")
    console = Console()
    console.print(table)
    by_partner = summary["by_partner"]
    assert isinstance(by_partner, dict)
    partners = ", ".join(f"{p} {n:,}" for p, n in by_partner.items())
    rate = summary["events_per_second"]
    console.print(f"{summary['events']:,} events for {summary['cases']:,} cases (seed {summary['seed']}, "
                  f"profile {summary['profile']}) in {summary['seconds']:.1f} s"
                  + (f", {rate:,.0f} events/s" if isinstance(rate, float) else ""))
    if partners:
        console.print(f"per partner: {partners}")
    fidelity = summary["fidelity"]
    assert isinstance(fidelity, list)
    console.print(fidelity_table(fidelity, title="fidelity: each figure the simulator claims, measured from the "
                                                 "records sent"))
