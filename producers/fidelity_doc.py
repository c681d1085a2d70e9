"""Rewrite the fidelity table in docs/simulation.md from the demo's stream: ``python -m producers.fidelity_doc``.

Why generated: the page shows what the demo's simulation measures today, and a test fails when the page
and the simulator part (``make docs`` rewrites it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from producers.fidelity import markdown, table
from producers.profile import load_profile
from producers.runner import SimulationRun, measured

DEMO_CASES, DEMO_SEED, DEMO_PROFILE = 10_000, 2018, "inspectie-2018"
"""The demo's run (``make demo``)."""

PAGE = Path(__file__).resolve().parents[1] / "docs" / "simulation.md"
BLOCK = re.compile(r"(<!-- fidelity:begin[^>]*-->\n)(.*?)(<!-- fidelity:end -->)", flags=re.S)


def demo_run() -> SimulationRun:
    """The demo's simulation (case keys aside: they change no figure)."""
    return SimulationRun(cases=DEMO_CASES, seed=DEMO_SEED, profile=load_profile(DEMO_PROFILE), topic_prefix="",
                         case_key_secret=b"docs")


def main() -> int:
    """Replace the table between the page's fidelity markers."""
    text = PAGE.read_text(encoding="utf-8")
    if not BLOCK.search(text):
        print(f"{PAGE}: no <!-- fidelity:begin --> … <!-- fidelity:end --> block", file=sys.stderr)
        return 1
    run = demo_run()
    rows = markdown(table(measured(run), run.profile))
    PAGE.write_text(BLOCK.sub(lambda m: m[1] + rows + m[3], text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
