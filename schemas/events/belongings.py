"""Personal belongings and baggage: the category most often missing (45% in 2018)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from schemas import families
from schemas.events.base import ChainEvent, Partner


class StorageLocation(StrEnum):
    """Where belongings are kept."""

    WITH_PERSON = "with_person"
    COA_LOCATION = "coa_location"
    DETENTION_CENTRE = "detention_centre"
    DTV_OFFICE = "dtv_office"
    AIRPORT = "airport"


class Belongings(ChainEvent, subject="belongings", family=families.BELONGINGS,
                 producers={Partner.COA, Partner.DJI, Partner.DTV},
                 readers={Partner.COA, Partner.DJI, Partner.DTV, Partner.KMAR, Partner.DVO}):
    """Belongings and baggage registered by the partner holding them."""

    items: list[str] = Field(description="Registered items (short descriptions)")
    bag_count: int = Field(ge=0, le=20, description="Number of bags")
    total_weight_kg: float = Field(ge=0, le=500, description="Total baggage weight in kilograms")
    valuables: list[str] = Field(default_factory=list, description="Valuables kept apart (money, phone…)")
    location: StorageLocation = Field(description="Where the belongings are kept")
