"""Build the report from verdicts: rates per category and partner next to the Inspectorate's 2018 baseline.

The report holds nothing that varies between runs over the same records (no wall-clock time), so an
interrupted and resumed run, an offline run and an online run can be compared byte for byte.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from schemas.categories import BASELINE_2018, Category
from validator.engine import Counters
from validator.rules import RULES, Verdict

BASELINE_SOURCE = ("Inspectie Justitie en Veiligheid, 'Gedwongen vertrek in beeld' (2018): share of "
                   "forced-departure cases with a defect in the information exchanged through Sigma")


def _rate(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def build_report(verdicts: Sequence[Verdict], counters: Counters, *, checkpoint_hours: float,
                 dead_letters: dict[str, int] | None = None,
                 unknown_cases: dict[str, int] | None = None,
                 late_deliveries: dict[str, int] | None = None,
                 simulation: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report as plain data (what ``--report-json`` writes).

    ``unknown_cases``: cases that received events but were never handed over, and how many events; they
    cannot be judged (no track, no decision), so they are counted here for someone to look into.
    ``late_deliveries``: per partner, records delivered after their case's decision time though recorded by
    its checkpoint (:meth:`validator.engine.Engine.late_deliveries`): an exchange defect of their own.
    ``simulation`` (the data is simulated: :func:`validator.report.simulation.load_simulation`): the
    simulator's fidelity table.
    """
    total = len(verdicts)
    defective = sum(1 for v in verdicts if v.defects)
    by_category: Counter[str] = Counter()
    by_partner: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    weeks: dict[str, list[int]] = {}
    for v in verdicts:
        by_category.update({d.category for d in v.defects})
        by_partner.update({d.partner for d in v.defects})
        by_kind.update({f"{d.category}:{d.kind}" for d in v.defects})
        by_rule.update({d.rule for d in v.defects})
        year, week, _ = v.checkpoint.isocalendar()
        bucket = weeks.setdefault(f"{year}-W{week:02d}", [0, 0])
        bucket[0] += 1
        bucket[1] += 1 if v.defects else 0
    report: dict[str, Any] = {
        "cases_checked": total,
        "cases_defective": defective,
        "defect_rate": _rate(defective, total),
        "categories": {c.value: _rate(by_category[c.value], total) for c in Category},
        "category_kinds": {k: _rate(n, total) for k, n in sorted(by_kind.items())},
        "partners": {p: _rate(n, total) for p, n in sorted(by_partner.items())},
        "rules": {r.id: _rate(by_rule[r.id], total) for r in RULES},
        "baseline": {
            "source": BASELINE_SOURCE,
            "defect_rate": BASELINE_2018["defect_rate"],
            "categories": {k: v for k, v in BASELINE_2018.items() if k != "defect_rate"},
        },
        "checkpoint_hours": checkpoint_hours,
        "over_time": [{"week": w, "cases": n, "defective": d, "defect_rate": _rate(d, n)}
                      for w, (n, d) in sorted(weeks.items())],
        "cases": [{"case": v.case, "checkpoint": v.checkpoint.isoformat(),
                   "defects": [d.to_json() for d in v.defects]} for v in verdicts],
        "records": counters.to_json(),
        "dead_letters": dict(sorted((dead_letters or {}).items())),
        "unknown_cases": unknown_cases or {"cases": 0, "events": 0},
        "late_deliveries": dict(sorted((late_deliveries or {}).items())),
    }
    if simulation is not None:
        report["simulation"] = simulation
    return report
