"""A rule hit as a value, in writer/reader terms, for the Avro and the JSON Schema rules alike.

Why one shape: ``compare`` names every finding by direction and places it in the *new* file, whatever the
format; with one field order for both, that choice (``new_path``) is made once and cannot be swapped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compat.locate import Token


@dataclass(frozen=True)
class Probe:
    """Where and how a JSON Schema counter-example differs: ``value`` at ``where``, or ``omit`` property
    ``name`` there."""

    where: tuple[Token, ...]
    action: str = "value"
    name: str = ""
    writer: Any = True
    """The writer's (resolved) schema at ``where``: candidate values come from it."""
    reader: Any = True
    """The reader's (resolved) schema at ``where``: candidate values aim just outside it."""


@dataclass(frozen=True)
class Finding:
    """One reason documents or records of the writer's schema fail the reader's; ``compare`` names it by
    direction. ``probe`` (JSON Schema only) says where a counter-example can be built."""

    kind: str
    writer_path: tuple[Token, ...]
    reader_path: tuple[Token, ...]
    facts: dict[str, Any] = field(default_factory=dict)
    probe: Probe = field(default_factory=lambda: Probe(()))

    def new_path(self, direction: str) -> tuple[Token, ...]:
        """The path in the new schema: the reader's for BACKWARD (reader = new), the writer's for FORWARD."""
        return self.reader_path if direction == "backward" else self.writer_path
