"""Run the real ``sigma`` console script as a subprocess, as users and CI do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SIGMA = str(Path(sys.executable).with_name("sigma"))


def sigma(*args: str, env: dict[str, str] | None = None, timeout: float = 300,
          drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run ``sigma ARGS`` with the test environment plus ``env`` (minus ``drop``); capture output."""
    full = {k: v for k, v in os.environ.items() if k not in drop}
    full.update(env or {})
    full.setdefault("SIGMA_LOG_FORMAT", "json")
    return subprocess.run([SIGMA, *args], capture_output=True, text=True, env=full, timeout=timeout, check=False)
