"""The simulator's fidelity table, for the report of simulated data: read from ``sigma simulate``'s summary.

Why from a file: the table is the simulator's own measurement of the stream it sent (each figure it claims,
measured from the records), and the validator does not import the simulator. The data is simulated when
the user says so, by passing that run's ``--summary-json`` (``sigma validate --simulation-summary FILE``);
the report then shows the table beside its findings, so a reader knows how far the stream is like the
real chain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runtime.errors import UsageError

ROW_KEYS = frozenset({"group", "figure", "source", "seed", "measured", "tolerance", "holds", "shown"})
FIX = "pass the file `sigma simulate --summary-json` wrote for the simulated data"


def load_simulation(path: Path) -> dict[str, Any]:
    """What the report shows of the simulation: which run, and its fidelity table."""
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the simulation summary {path} ({exc.strerror or exc})", fix=FIX) from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UsageError(f"the simulation summary {path} is not JSON", fix=FIX) from None
    rows = summary.get("fidelity") if isinstance(summary, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and r.keys() >= ROW_KEYS for r in rows):
        raise UsageError(f"{path} holds no fidelity table", fix=FIX)
    about = f"{summary.get('cases')} cases, seed {summary.get('seed')}, profile {summary.get('profile')}"
    return {"about": about, "fidelity": rows}
