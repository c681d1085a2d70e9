"""The native hot paths are optional: SIGMA_NATIVE=0 or a missing module leaves every one to Python, saying why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys
if sys.argv[1] == "absent":
    sys.modules["sigma_native"] = None  # as if it were not installed: importing it raises ImportError
from consumers import recording
from schemas import fastread, native, placement
print(native.UNUSED.why if native.UNUSED else "used")
print(fastread.body_reader({"type": "string"}) is not None, hasattr(recording, "LineParser"),
      placement._murmur2 is not placement.murmur2)
"""


def _probe(switch: str | None, module: str = "present") -> list[str]:
    """What a fresh interpreter decides (the switch is read once, at import)."""
    env = {k: v for k, v in os.environ.items() if k != "SIGMA_NATIVE"}
    if switch is not None:
        env["SIGMA_NATIVE"] = switch
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-c", PROBE, module], env=env, cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.mark.parametrize("switch", ["0", "false", "Off", "no"])
def test_the_switch_leaves_every_reader_to_python(switch: str) -> None:
    assert _probe(switch) == [f"sigma_native is disabled (SIGMA_NATIVE={switch})", "False False False"]


def test_without_the_module_every_reader_is_python_and_the_reason_says_so() -> None:
    assert _probe(None, "absent") == ["sigma_native is not installed", "False False False"]


@pytest.mark.native
@pytest.mark.parametrize("switch", [None, "1", ""])
def test_the_native_readers_are_used_unless_switched_off(switch: str | None) -> None:
    assert _probe(switch) == ["used", "True True True"]
