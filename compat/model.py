"""Compatibility results as values (as Karapace returns them): checkers return, formatters render."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Violation:
    """One reason a change breaks readers: stable rule id, where, what and why."""

    rule: str
    path: str
    """Where inside the schema, as ``$.properties.bags.minimum`` / ``$.fields[3].type`` (see ``locate``)."""
    message: str
    subject: str = ""
    file: str = ""
    line: int = 1
    check: str = ""
    """Which comparison found it, e.g. ``belongings avro v1→v2 BACKWARD`` (JUnit groups by it)."""
    fix: str = ""
    direction: str = ""
    """``backward`` (new readers, old data) or ``forward`` (old readers, new data); empty for catalogue rules."""
    searched: bool = False
    """True for JSON Schema violations: a counter-example was searched for."""
    verified: bool = False
    """True only when ``counterexample`` passed a real validator: valid for the writer, rejected by the reader."""
    counterexample: Any = None
    accepted: str = ""
    """Non-empty when an unexpired baseline entry accepts this violation (its reason and expiry)."""
    expired: str = ""
    """Non-empty when the matching baseline entry has expired: the violation fails again, and says why."""

    def at(self, **changes: Any) -> Violation:
        """A copy with other fields (file, line, subject…)."""
        return replace(self, **changes)

    @property
    def counterexample_sides(self) -> str:
        """Which schema accepts the counter-example and which rejects it."""
        if self.direction == "forward":
            return "valid under the new schema, rejected by the old one"
        return "valid under the old schema, rejected by the new one"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rule": self.rule, "path": self.path, "message": self.message}
        for key in ("subject", "file", "check", "direction", "fix", "accepted", "expired"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.file:
            data["line"] = self.line
        if self.searched:
            data["counterexample_verified"] = self.verified
            if self.verified:
                data["counterexample"] = self.counterexample
        return data


@dataclass(frozen=True)
class Result:
    """All violations of one comparison (or of a whole catalogue check)."""

    violations: tuple[Violation, ...] = ()
    checks: tuple[str, ...] = ()
    """Every comparison made (labels as in ``Violation.check``), so reports can show what passed too."""
    notes: tuple[str, ...] = field(default=())

    @property
    def checked(self) -> int:
        return len(self.checks)

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
