"""Whether the native hot paths (``sigma_native``, Rust in ``native/``) are used: one decision for all of them.

They are optional. Each native reader answers or declines, and the Python readers (fastavro, the recording
reader) answer everything it declines, so without it every result is the same, only slower. It is not used
when it is not installed (``make venv`` without Rust's ``cargo``) or when ``SIGMA_NATIVE`` is ``0`` (or
``false``, ``no``, ``off``): the switch lets anyone, the test suite among them, run the Python path alone.
Read once, at import, as the readers bind the native classes then.
"""

from __future__ import annotations

import os
from typing import NamedTuple

SWITCH = "SIGMA_NATIVE"
OFF = frozenset({"0", "false", "no", "off"})


class Unused(NamedTuple):
    """Why the native readers are not used, and how to use them (a warning's text)."""

    why: str
    fix: str


def _unused() -> Unused | None:
    if os.environ.get(SWITCH, "").strip().lower() in OFF:
        return Unused(f"sigma_native is disabled ({SWITCH}={os.environ[SWITCH]})", f"unset {SWITCH} to use it")
    try:
        import sigma_native  # noqa: F401
    except ImportError:
        return Unused("sigma_native is not installed", "run `make venv` with Rust's cargo (it builds native/)")
    return None


UNUSED = _unused()
"""None when the native readers are used."""
