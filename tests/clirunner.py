"""Run the real ``sigma`` console script as a subprocess, as users and CI do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SIGMA = str(Path(sys.executable).with_name("sigma"))


def sigma(*args: str, env: dict[str, str] | None = None, timeout: float = 300,
          drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run ``sigma ARGS`` with the test environment plus ``env`` (minus ``drop``); capture output.

    No topic prefix unless the test gives one (or drops the variable to test the context file): a context
    left in the checkout by ``make demo`` must not send the tests' commands to the demo's topics.
    """
    full = {k: v for k, v in os.environ.items() if k not in drop}
    full.update(env or {})
    full.setdefault("SIGMA_LOG_FORMAT", "json")
    if "SIGMA_TOPIC_PREFIX" not in drop:
        full.setdefault("SIGMA_TOPIC_PREFIX", "")
    return subprocess.run([SIGMA, *args], capture_output=True, text=True, env=full, timeout=timeout, check=False)
