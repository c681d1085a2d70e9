"""Validator memory with and without eviction of closed cases, over the same simulated stream.

Both engines read the stream in polls of 5,000 records; the evicting one drops, after each poll, the cases
closed a grace period (the default, ``SIGMA_EVICTION_GRACE_HOURS``) before the slowest partition not yet at
its end, as the online validator does. Printed: peak and final traced memory, the dossiers held at the end,
and that both give the same verdicts (eviction must change no report). No broker needed.
"""

from __future__ import annotations

import argparse
import tracemalloc

from bench.streams import chain_records
from consumers.records import ConsumedRecord
from runtime import logs
from runtime.settings import Settings
from validator.engine import Engine

POLL = 5000


def measure(records: list[ConsumedRecord], grace_hours: float | None) -> tuple[float, float, Engine]:
    """(peak MiB, final MiB, engine) for one pass over ``records``."""
    last = {(r.topic, r.partition): i for i, r in enumerate(records)}
    tracemalloc.start()
    engine = Engine(eviction_grace_hours=grace_hours)
    for start in range(0, len(records), POLL):
        engine.feed(records[start:start + POLL])
        engine.evict({where for where, i in last.items() if i >= start + POLL})
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, current / 2**20, engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 cases instead of 100,000")
    args = parser.parse_args()
    logs.configure("warning")
    cases = 10_000 if args.quick else 100_000
    grace = Settings().eviction_grace_hours
    print(f"generating {cases:,} cases …", flush=True)
    records = chain_records(cases)
    print(f"{len(records):,} events")
    rows = []
    verdicts = []
    for label, hours in (("without eviction", None), (f"eviction after {grace:g} h", grace)):
        peak, final, engine = measure(records, hours)
        rows.append((label, peak, final, len(engine.state.dossiers)))
        verdicts.append(engine.verdicts())
    print(f"{'validator engine memory':24} {'peak MiB':>10} {'at end MiB':>11} {'dossiers held':>14}")
    for label, peak, final, held in rows:
        print(f"{label:24} {peak:10,.0f} {final:11,.0f} {held:14,}")
    print(f"peak with eviction: {rows[1][1] / rows[0][1]:.0%} of without; same verdicts: {verdicts[0] == verdicts[1]}")


if __name__ == "__main__":
    main()
