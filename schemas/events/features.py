"""Physical features for identification at the airport (17% missing in 2018)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from schemas import families
from schemas.events.base import ChainEvent, Partner


class Build(StrEnum):
    """Body build."""

    SLIM = "slim"
    AVERAGE = "average"
    STOCKY = "stocky"
    HEAVY = "heavy"


class PhysicalFeatures(ChainEvent, subject="physical_features", family=families.PHYSICAL_FEATURES,
                       producers={Partner.DTV, Partner.POLICE, Partner.DJI},
                       readers={Partner.DTV, Partner.POLICE, Partner.DJI, Partner.KMAR, Partner.DVO}):
    """Height, build, distinguishing marks and a photo reference."""

    height_cm: int = Field(ge=50, le=250, description="Height in centimetres")
    build: Build = Field(description="Body build")
    distinguishing_marks: list[str] = Field(default_factory=list, description="Scars, tattoos…")
    photo_ref: str | None = Field(default=None, max_length=64, description="Reference of the photo")
