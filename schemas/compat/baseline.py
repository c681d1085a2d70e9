"""Intentional breaks: accepted violations with a reason and an expiry date; an expired entry fails again."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from schemas.compat.model import CompatInputError, Violation


@dataclass(frozen=True)
class Entry:
    """One accepted violation: which rule, subject and (optionally) path, why, and until when."""

    rule: str
    subject: str
    path: str
    reason: str
    expires: date

    def matches(self, v: Violation) -> bool:
        return v.rule == self.rule and v.subject == self.subject and (not self.path or v.path == self.path)


def load(path: Path) -> list[Entry]:
    """Entries of a baseline file (``[[accepted]]`` tables); an absent file is an empty baseline."""
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text())
        return [Entry(e["rule"], e["subject"], e.get("path", ""), e["reason"], _date(e["expires"]))
                for e in data.get("accepted", [])]
    except (tomllib.TOMLDecodeError, KeyError, ValueError, TypeError) as exc:
        raise CompatInputError(f"{path}: bad baseline ({type(exc).__name__}: {exc}); each [[accepted]] needs "
                               "rule, subject, reason and expires") from None


def _date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def apply(violations: list[Violation], entries: list[Entry], today: date) -> list[Violation]:
    """Mark violations accepted by an unexpired entry; say so when the matching entry has expired."""
    out = []
    for v in violations:
        entry = next((e for e in entries if e.matches(v)), None)
        if entry is None:
            out.append(v)
        elif entry.expires >= today:
            out.append(v.at(accepted=f"{entry.reason} (until {entry.expires.isoformat()})"))
        else:
            out.append(v.at(message=f"{v.message} [baseline entry expired on {entry.expires.isoformat()}: "
                                    f"{entry.reason}]"))
    return out
