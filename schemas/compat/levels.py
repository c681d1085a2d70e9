"""Compatibility levels as in Confluent Schema Registry, and which directions each checks.

BACKWARD: readers using the new schema read everything written with the old one. FORWARD: readers using the
old schema read what the new one writes. FULL: both. The _TRANSITIVE forms compare with every earlier
version instead of only the previous one.
"""

from __future__ import annotations

from schemas.compat.model import CompatInputError

LEVELS = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE")


def parse(level: str) -> str:
    """The canonical level name, or CompatInputError naming the valid ones."""
    name = level.strip().upper()
    if name not in LEVELS:
        raise CompatInputError(f"unknown compatibility level {level!r}; use one of {', '.join(LEVELS)}")
    return name


def directions(level: str) -> tuple[str, ...]:
    """``backward`` and/or ``forward``."""
    base = parse(level).removesuffix("_TRANSITIVE")
    return {"NONE": (), "BACKWARD": ("backward",), "FORWARD": ("forward",), "FULL": ("backward", "forward")}[base]


def transitive(level: str) -> bool:
    """True when every earlier version counts, not only the previous one."""
    return parse(level).endswith("_TRANSITIVE")
