"""Issue 17's scenario, shared by the engine's test and the broker's: a partner back-dates an event it sends late.

A case handed over on the forced track, its flight booked (checkpoint = departure − 48 h), its belongings
missing at the checkpoint; after the case's decision time COA sends a belongings event whose ``recorded_at``
says it was recorded before the checkpoint. An IND event recorded after the decision time moves event time
past it, so the case is decided.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from schemas.events import Belongings, CaseHandedOver, ChainEvent, FlightBooking, Partner, RemovabilityConfirmed
from schemas.examples import example


def _at(model: type[ChainEvent], index: int, recorded: datetime, **fields: Any) -> ChainEvent:
    return example(model, index).model_copy(update={"occurred_at": recorded, "recorded_at": recorded, **fields})


def on_time(checkpoint: datetime) -> list[ChainEvent]:
    """Handover and booking well before the checkpoint; an IND event recorded 5 h after it (event time moves on)."""
    return [
        _at(CaseHandedOver, 1, checkpoint - timedelta(days=10)),
        _at(FlightBooking, 2, checkpoint - timedelta(days=5), scheduled_departure=checkpoint + timedelta(hours=48)),
        _at(RemovabilityConfirmed, 3, checkpoint + timedelta(hours=5)),
    ]


def backdated(recorded: datetime) -> ChainEvent:
    """COA's belongings event, claiming to be recorded at ``recorded``."""
    return _at(Belongings, 4, recorded, partner=Partner.COA)
