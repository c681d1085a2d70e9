"""Compatibility levels as in Confluent Schema Registry, which directions each checks, and which level
each subject has (``schemas/compat.toml``).

BACKWARD: readers using the new schema read everything written with the old one. FORWARD: readers using the
old schema read what the new one writes. FULL: both. The _TRANSITIVE forms compare with every earlier
version instead of only the previous one. NONE checks nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compat.model import CompatInputError

LEVELS = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE")
DEFAULT = "BACKWARD"


def parse(level: str) -> str:
    """The canonical level name, or CompatInputError naming the valid ones."""
    name = level.strip().upper() if isinstance(level, str) else ""
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


@dataclass(frozen=True)
class Config:
    """The default level and the per-subject overrides."""

    default: str = DEFAULT
    subjects: dict[str, str] = field(default_factory=dict)

    def level(self, subject: str) -> str:
        return self.subjects.get(subject, self.default)


def load_config(path: Path) -> Config:
    """Read ``compat.toml``: ``default_level`` and ``[subjects.<name>] level = …`` (or ``<name> = "…"`` under
    ``[subjects]``). A missing file means BACKWARD everywhere; a bad one is an input error."""
    if not path.is_file():
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CompatInputError(f"{path}: not valid TOML ({exc})") from None
    try:
        default = parse(data.get("default_level", DEFAULT))
        subjects = {name: parse(_level_of(value)) for name, value in data.get("subjects", {}).items()}
    except CompatInputError as exc:
        raise CompatInputError(f"{path}: {exc}") from None
    return Config(default, subjects)


def _level_of(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("level", ""))
    return str(value)
