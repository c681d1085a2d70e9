"""A case's dossier as a timeline: what each partner shared, when, and how long before or after the checkpoint.

Shared by ``sigma dossier`` (terminal) and the report's case pages, so both show the same fields: only what
the dossier keeps (``validator.dossier.KEPT_FIELDS``), never a V-number, name or medical text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from validator.dossier import Dossier


@dataclass(frozen=True)
class Entry:
    """One fact of the dossier, placed against the checkpoint."""

    recorded_at: datetime
    partner: str
    subject: str
    shared: str
    """The kept fields as ``name=value, …``."""
    offset: timedelta
    """``recorded_at`` minus the checkpoint: negative is before it (on time)."""


def when(moment: datetime) -> str:
    """A moment to the minute, as the dossier view and the report show it."""
    return moment.strftime("%Y-%m-%d %H:%M")


def show(value: object) -> str:
    """One kept field's value for display."""
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def shared(fields: dict[str, object]) -> str:
    """The fields a fact carries (None left out), as ``name=value, …``."""
    return ", ".join(f"{k}={show(v)}" for k, v in fields.items() if v is not None)


def relative(offset: timedelta) -> str:
    """An offset from the checkpoint in days, hours and minutes: ``−2 d 03:12``, ``+0 d 05:10``."""
    minutes = round(abs(offset).total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    return f"{'−' if offset < timedelta(0) else '+'}{days} d {rest // 60:02d}:{rest % 60:02d}"


def timeline(dossier: Dossier, checkpoint: datetime | None) -> list[Entry]:
    """Every fact in the order it was recorded (ties in stream order); offsets are zero without a checkpoint."""
    facts = sorted(((s, f) for s, fs in dossier.facts.items() for f in fs),
                   key=lambda sf: (sf[1].recorded_at, sf[1].seq))
    return [Entry(f.recorded_at, f.partner, subject, shared(f.fields),
                  f.recorded_at - checkpoint if checkpoint is not None else timedelta(0))
            for subject, f in facts]
