"""The report as a terminal table: categories next to the 2018 baseline, with the responsible partner."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from validator.rules import RULES

_RESPONSIBLE: dict[str, set[str]] = {}
for _rule in RULES:
    _RESPONSIBLE.setdefault(_rule.category.value, set()).update(_rule.partners.split("|"))


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:5.1f}%"


def fidelity_table(rows: list[dict[str, Any]], title: str) -> Table:
    """The simulator's fidelity table (``sigma simulate`` prints it; the report of simulated data shows it):
    each figure it claims, the seed value and its source, the value measured from the stream, the tolerance."""
    table = Table("group", "figure", "seed", "source", "measured", "tolerance", "holds", title=title,
                  title_justify="left")
    for row in rows:
        shown = row["shown"]
        holds = {True: "yes", False: "[bold red]NO[/bold red]", None: "no data"}[row["holds"]]
        table.add_row(row["group"], row["figure"], shown["seed"], row["source"], shown["measured"],
                      shown["tolerance"], holds)
    return table


def render(report: dict[str, Any], console: Console | None = None) -> None:
    """Print the summary table and the record accounting."""
    out = console or Console()
    baseline = report["baseline"]
    table = Table(title=f"Completeness before departure — {report['cases_checked']:,} checked cases "
                  f"(checkpoint {report['checkpoint_hours']:g} h before departure)")
    table.add_column("category")
    table.add_column("defect rate", justify="right")
    table.add_column("2018 baseline", justify="right")
    table.add_column("responsible")
    table.add_row("[bold]any defect[/bold]", f"[bold]{_pct(report['defect_rate'])}[/bold]",
                  _pct(baseline["defect_rate"]), "")
    for name, rate in report["categories"].items():
        table.add_row(name, _pct(rate), _pct(baseline["categories"].get(name)),
                      ", ".join(sorted(_RESPONSIBLE.get(name, set()))))
    out.print(table)
    if report["partners"]:
        out.print("per partner (share of checked cases with a defect attributed to it): " + ", ".join(
            f"{p} {_pct(r).strip()}" for p, r in report["partners"].items()))
    out.print(f"records: {accounting(report)}")
    unknown = report["unknown_cases"]
    if unknown["cases"]:
        out.print(f"[yellow]{unknown['events']:,} events for {unknown['cases']:,} cases never handed over[/yellow] "
                  "(not judged: check the case keys with the sending partners)")
    simulation = report.get("simulation")
    if simulation is not None:
        out.print(fidelity_table(simulation["fidelity"], title=f"simulated data ({simulation['about']}): each figure "
                                                               "the simulator claims, measured from its stream"))


def accounting(report: dict[str, Any]) -> str:
    """Where every consumed record went (one line, shared by the text and HTML reports)."""
    rec = report["records"]
    return (f"{rec['consumed']:,} consumed = {rec['processed']:,} processed + {rec['duplicates']:,} duplicates "
            f"+ {rec['dead_lettered']:,} dead-lettered")
