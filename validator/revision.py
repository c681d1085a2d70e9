"""Revisions of a published finding: what changed and why, never a silent replacement.

Why: the findings topic is watched live, so a finding someone acted on may change only as a new, numbered
revision that says what changed and which arrivals caused it. An arrival after a case was decided is one of two
things: evidence recorded after the checkpoint (the partner was late, already a defect of the finding), or
evidence recorded before the checkpoint that reached the validator only after the decision, a *late delivery*:
an exchange defect of its own, counted per partner whether or not it changes the finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from validator.dossier import Dossier, Fact
from validator.rules import Finding

Signature = tuple[tuple[str, str, str, str], ...]
"""A finding's defects as (rule, category, partner, kind): what tells two findings apart."""


@dataclass(frozen=True)
class Decided:
    """A published finding: its revision, its defects, how many facts its case's dossier held then, and the
    checkpoint it was judged at."""

    revision: int
    signature: Signature
    facts: int
    checkpoint: datetime


@dataclass(frozen=True)
class Arrival:
    """A fact that arrived after its case was decided."""

    subject: str
    partner: str
    recorded_at: datetime
    delivered: datetime | None = None
    """When it was delivered, if the wall clock says (its broker append time, ``validator.arrival``); None:
    when the watermark decided the revision."""

    def late_delivery(self, checkpoint: datetime) -> bool:
        """Recorded on time for the checkpoint, yet delivered after the decision."""
        return self.recorded_at <= checkpoint


def new_departure(before: Decided, booking: Fact | None, lateness: timedelta) -> bool:
    """Whether the case's latest booking was made after its last finding was decided: a new departure, whose
    checkpoint gets findings of its own (revision 0 again), not a correction of the last one. A booking
    recorded before that decision but delivered after it is a correction (a late delivery), a revision."""
    return booking is not None and booking.recorded_at > before.checkpoint + lateness


def signature(defects: Sequence[Finding]) -> Signature:
    """The defects as compared between revisions."""
    return tuple((d.rule, d.category, d.partner, d.kind) for d in defects)


def arrivals(dossier: Dossier, since: int, wall: bool = False) -> list[Arrival]:
    """The facts added to ``dossier`` after it held ``since`` facts, in stream order; with the ``wall`` event
    clock, each delayed one with when it was delivered."""
    delivered = {fact.seq: at for fact, at in dossier.delayed or ()} if wall else {}
    found = [(fact.seq, Arrival(subject, fact.partner, fact.recorded_at, delivered.get(fact.seq)))
             for subject, facts in dossier.facts.items() for fact in facts if fact.seq >= since]
    return [arrival for _, arrival in sorted(found, key=lambda pair: pair[0])]


def _hours(delta: timedelta) -> str:
    hours = abs(delta.total_seconds()) / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{abs(delta.total_seconds()) / 60:.0f} min"


def reason(news: Sequence[Arrival], checkpoint: datetime, watermark: datetime) -> str:
    """Why a finding changed, one clause per arrival: 'late arrival from COA, recorded 2 h before the checkpoint,
    delivered 9 h after' (delivered: how far its delivery, or else event time when it was read, was past the
    checkpoint)."""
    clauses = []
    for arrival in news:
        partner = arrival.partner.upper()
        offset = arrival.recorded_at - checkpoint
        side = "before" if offset <= timedelta(0) else "after"
        if arrival.late_delivery(checkpoint):
            clauses.append(f"late arrival from {partner} ({arrival.subject}), recorded {_hours(offset)} {side} the "
                           f"checkpoint, delivered {_hours((arrival.delivered or watermark) - checkpoint)} after")
        else:
            clauses.append(f"{arrival.subject} from {partner} recorded {_hours(offset)} after the checkpoint")
    return "; ".join(clauses) or "no new evidence"


def changes(before: Signature, after: Signature) -> list[dict[str, Any]]:
    """What a revision changed: the defects removed and added, as (rule, category, partner, kind)."""
    gone, new = set(before) - set(after), set(after) - set(before)
    rows = [("removed", d) for d in sorted(gone)] + [("added", d) for d in sorted(new)]
    return [{"change": change, "rule": d[0], "category": d[1], "partner": d[2], "kind": d[3]} for change, d in rows]
