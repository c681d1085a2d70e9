"""``make bench``: run every ``bench/bench_*.py`` against one broker and print their tables.

Each benchmark measures its own baseline in the same run and prints ratios, so results stay
comparable on a shared, noisy machine. ``--quick`` passes through for a short smoke run.
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
    """Run all benchmarks (or those named on the command line); non-zero if any crashed."""
    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("-")]
    modules = sorted(p.stem for p in HERE.glob("bench_*.py") if not names or p.stem in names)
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
