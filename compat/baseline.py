"""Intentional breaks: accepted violations with a reason and an expiry date; an expired entry fails again.

An entry matches a violation by rule id, subject and path (``path`` may use ``*`` wildcards, or be left
out to match every path of that rule and subject). It accepts it up to the day before ``expires``; from
the expiry date on the violation fails again and says which entry expired, so the pipeline turns red
until somebody cleans up.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from compat.model import CompatInputError, Violation
from compat.rules import RULES

_KEYS = ("rule", "subject", "reason", "expires")


@dataclass(frozen=True)
class Entry:
    """One accepted violation: which rule, subject and path, why, and until when."""

    rule: str
    subject: str
    path: str
    reason: str
    expires: date

    def matches(self, v: Violation) -> bool:
        return v.rule == self.rule and v.subject == self.subject and (
            not self.path or fnmatch.fnmatchcase(v.path, self.path))

    def describe(self) -> str:
        return f"{self.rule} for {self.subject}" + (f" at {self.path}" if self.path else "")


def load(path: Path) -> list[Entry]:
    """Entries of a baseline file (``[[accepted]]`` tables); an absent file is an empty baseline."""
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CompatInputError(f"{path}: not valid TOML ({exc})") from None
    tables = data.get("accepted", [])
    if not isinstance(tables, list):
        raise CompatInputError(f"{path}: `accepted` must be an array of tables ([[accepted]])")
    return [_entry(path, number, table) for number, table in enumerate(tables, start=1)]


def _entry(path: Path, number: int, table: Any) -> Entry:
    where = f"{path}: entry {number}"
    if not isinstance(table, dict):
        raise CompatInputError(f"{where} is not a table")
    missing = [key for key in _KEYS if key not in table]
    if missing:
        raise CompatInputError(f"{where} lacks {', '.join(missing)} (each entry needs rule, subject, reason, "
                               "expires)")
    if table["rule"] not in RULES:
        raise CompatInputError(f"{where}: unknown rule {table['rule']!r} (see docs/compat.md)")
    if not str(table["reason"]).strip():
        raise CompatInputError(f"{where}: the reason is empty; say why the break is accepted")
    expires = table["expires"]
    if not isinstance(expires, date):
        try:
            expires = date.fromisoformat(str(expires))
        except ValueError:
            raise CompatInputError(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)") from None
    return Entry(str(table["rule"]), str(table["subject"]), str(table.get("path", "")), str(table["reason"]),
                 expires)


def apply(violations: list[Violation], entries: list[Entry], today: date) -> tuple[list[Violation], list[str]]:
    """Violations marked accepted (unexpired entry) or expired (entry past its date), and notes about entries
    that matched nothing."""
    used: set[Entry] = set()
    out = []
    for v in violations:
        entry = next((e for e in entries if e.matches(v)), None)
        if entry is None:
            out.append(v)
            continue
        used.add(entry)
        if today < entry.expires:
            out.append(v.at(accepted=f"{entry.reason} (accepted until {entry.expires.isoformat()})"))
        else:
            out.append(v.at(expired=f"baseline entry expired on {entry.expires.isoformat()}: {entry.reason}",
                            message=f"{v.message} [baseline entry expired on {entry.expires.isoformat()}]"))
    notes = [f"baseline entry {e.describe()} matched no violation: remove it" for e in entries if e not in used]
    return out, notes
