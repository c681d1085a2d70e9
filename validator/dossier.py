"""A case's dossier: what each partner shared, per subject, in stream order.

Why trimmed facts instead of whole events: the validator keeps every open case in memory, so it keeps only
the fields the rules and the dossier view need — and never the V-number, names or medical free text.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

KEPT_FIELDS: dict[str, tuple[str, ...]] = {
    "case_handed_over": ("track", "entry_ban", "decision_date", "departure_deadline"),
    "departure_talk_held": ("talk_number", "outcome"),
    "travel_document_requested": ("document_type", "country"),
    "travel_document_obtained": ("document_type", "country", "valid_until"),
    "detention_started": ("location_code",),
    "detention_ended": ("reason",),
    "removability_confirmed": ("removable", "pending_procedure"),
    "flight_notified": ("booking_ref", "notified_at"),
    "departure_confirmed": ("booking_ref", "departed_at"),
    "departure_aborted": ("booking_ref", "reason"),
    "case_closed": ("outcome",),
    "fit_to_fly": ("fit", "issued_at", "valid_until", "conditions"),
    "medical_situation": ("relevant_circumstances", "postponed", "postponed_until"),
    "medical_details": (),
    "belongings": ("bag_count", "total_weight_kg", "location"),
    "physical_features": ("height_cm", "build"),
    "flight_booking": ("booking_ref", "carrier", "flight_number", "departure_airport", "arrival_airport",
                       "scheduled_departure", "escort_count", "status", "cancellation_reason"),
    "escort_plan": ("booking_ref", "escorted", "escort_count", "medical_escort"),
}
"""Fields kept per subject; everything else (V-number, items, marks, medical text) is dropped on arrival."""


Getter = Callable[[dict[str, Any]], tuple[Any, ...]]


def _getter(names: tuple[str, ...]) -> Getter:
    """The kept values of one subject as a tuple, in ``names`` order (``itemgetter``: one C call per event)."""
    if len(names) > 1:
        return itemgetter(*names)
    if names:
        name = names[0]
        return lambda data: (data[name],)
    return lambda data: ()


KEEP: dict[str, tuple[tuple[str, ...], Getter]] = {
    subject: (names, _getter(names)) for subject, names in KEPT_FIELDS.items()}
"""Per subject: its kept names and their getter, in one lookup on the hot path (and the changelog's restore)."""
KEEP_NOTHING: tuple[tuple[str, ...], Getter] = ((), _getter(()))


@dataclass(slots=True)
class Fact:
    """One event as the dossier keeps it: when it was recorded, by whom, and the kept fields.

    Why names and values instead of a dict: a dossier keeps every fact of every open case, and a tuple of
    values next to the subject's shared tuple of names takes a third less memory than a dict per fact and
    is built in one C call (measured: facts 366 -> 232 bytes per event, adding a fact 2.8 -> 2.1 µs).
    """

    recorded_at: datetime
    partner: str
    names: tuple[str, ...]
    """The subject's kept field names (shared by all its facts)."""
    values: tuple[Any, ...]
    seq: int
    """Position in the case's stream (ties in recorded_at go to the later one)."""

    def __getitem__(self, name: str) -> Any:
        """One kept field's value; KeyError when the subject keeps no such field."""
        try:
            return self.values[self.names.index(name)]
        except ValueError:
            raise KeyError(name) from None

    @property
    def fields(self) -> dict[str, Any]:
        """The kept fields by name (for display; rules read single fields with ``fact[name]``)."""
        return dict(zip(self.names, self.values, strict=True))


def _ids() -> array[int]:
    return array("Q")


def _digests() -> array[int]:
    return array("I")


@dataclass(slots=True)
class Dossier:
    """All facts of one case, grouped by subject, each list in stream order.

    ``ids`` and ``digests`` hold, in the order events arrived, a 64-bit hash of each kept event's id and a
    CRC-32 of its value: enough to tell a re-sent event (same id, same bytes) from a conflicting one (same
    id, other bytes). Two flat arrays take 12 bytes per event, where a dict of ids would take over 100.
    """

    case: str
    facts: dict[str, list[Fact]] = field(default_factory=dict)
    last_recorded: datetime | None = None
    count: int = 0
    ids: array[int] = field(default_factory=_ids)
    digests: array[int] = field(default_factory=_digests)
    delayed: list[tuple[Fact, datetime]] | None = None
    """Facts delivered more than the allowed lateness behind their partition's event time, each with that
    event time (what late deliveries are counted from, once the case's checkpoint is known)."""
    partition: int = 0
    """The input partition its records are read from (the same number on every chain topic: they are
    co-partitioned), whose changelog partition keeps it (``validator.changelog``)."""

    def digest_of(self, event: int) -> int | None:
        """The value digest kept for an event id hash, or None when no such event was kept."""
        if event not in self.ids:
            return None
        return self.digests[self.ids.index(event)]

    def add(self, subject: str, data: dict[str, Any], event: int, digest: int) -> Fact:
        """Keep the trimmed event (a field missing from ``data`` is kept as None) and its id hash and digest;
        returns the fact kept."""
        names, getter = KEEP.get(subject, KEEP_NOTHING)
        try:
            values = getter(data)
        except KeyError:
            values = tuple(data.get(name) for name in names)
        recorded = data["recorded_at"]
        fact = Fact(recorded, data["partner"], names, values, self.count)  # an enum symbol: a str
        facts = self.facts.get(subject)
        if facts is None:
            self.facts[subject] = [fact]
        else:
            facts.append(fact)
        self.count += 1
        self.ids.append(event)
        self.digests.append(digest)
        if self.last_recorded is None or recorded > self.last_recorded:
            self.last_recorded = recorded
        return fact

    def delay(self, fact: Fact, progress: datetime) -> None:
        """``fact`` arrived when its partition's event time was ``progress``, far ahead of it."""
        if self.delayed is None:
            self.delayed = []
        self.delayed.append((fact, progress))

    def of(self, subject: str) -> list[Fact]:
        """Facts of one subject (empty when none arrived)."""
        return self.facts.get(subject, [])
