"""``make bench``: run every ``bench/bench_*.py`` against one broker and print their tables.

Each benchmark measures its own baseline in the same run and prints ratios, so results stay
comparable on a shared, noisy machine. ``--quick`` passes through for a short smoke run. Names on the
command line select benchmarks, with or without the ``bench_`` prefix (``python -m bench.run validator``,
``make bench BENCH=validator``); an unknown name is an error rather than a run of nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.cluster import bench_cluster

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    """Run all benchmarks (or those named on the command line); non-zero if any crashed or a name is unknown."""
    quick = "--quick" in argv
    known = sorted(p.stem for p in HERE.glob("bench_*.py"))
    given = {a: a if a.startswith("bench_") else f"bench_{a}" for a in argv if not a.startswith("-")}
    wanted = set(given.values())
    unknown = sorted(name for name, module in given.items() if module not in known)
    if unknown:
        choices = ", ".join(m.removeprefix("bench_") for m in known)
        print(f"bench.run: error: no benchmark named {', '.join(unknown)}: choose from {choices}", file=sys.stderr)
        return 2
    modules = [m for m in known if not wanted or m in wanted]
    failed: list[str] = []
    with bench_cluster() as bootstrap:
        env = {**os.environ, "SIGMA_BOOTSTRAP_SERVERS": bootstrap}
        for module in modules:
            print(f"\n=== {module} ===", flush=True)
            started = time.monotonic()
            cmd = [sys.executable, "-m", f"bench.{module}", *(["--quick"] if quick else [])]
            rc = subprocess.run(cmd, env=env, cwd=HERE.parent, check=False).returncode
            print(f"--- {module}: {'ok' if rc == 0 else f'FAILED (exit {rc})'} in {time.monotonic() - started:.1f}s")
            if rc != 0:
                failed.append(module)
    if failed:
        print(f"\nbenchmarks that crashed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
