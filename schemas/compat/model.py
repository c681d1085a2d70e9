"""Compatibility results as values (as Karapace returns them): checkers return, formatters render."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Violation:
    """One reason a change breaks readers: stable rule id, where, what and why."""

    rule: str
    path: str
    message: str
    subject: str = ""
    file: str = ""
    line: int = 1
    counterexample: Any = None
    verified: bool = False
    """True when the counter-example was checked: valid under the old schema, rejected by the new one."""
    accepted: str = ""
    """Non-empty when a baseline entry accepts this violation (its reason)."""

    def at(self, **changes: Any) -> Violation:
        """A copy with other fields (file, line, subject…)."""
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rule": self.rule, "path": self.path, "message": self.message}
        if self.subject:
            data["subject"] = self.subject
        if self.file:
            data["file"], data["line"] = self.file, self.line
        if self.counterexample is not None or self.verified:
            data["counterexample"] = self.counterexample
            data["counterexample_verified"] = self.verified
        if self.accepted:
            data["accepted"] = self.accepted
        return data


@dataclass(frozen=True)
class Result:
    """All violations of one comparison (or of a whole catalogue check)."""

    violations: tuple[Violation, ...] = ()
    checked: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def failing(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if not v.accepted)

    @property
    def compatible(self) -> bool:
        return not self.failing

    def to_json(self) -> dict[str, Any]:
        return {"compatible": self.compatible, "checked": self.checked,
                "violations": [v.to_json() for v in self.violations], "notes": list(self.notes)}


class CompatInputError(Exception):
    """Bad input to a check (unparseable schema, unknown level, missing ref): exit 2 with this message."""
