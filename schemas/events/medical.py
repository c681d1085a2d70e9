"""Fit to fly and the medical situation: shared need-to-know, in three subjects on two audiences.

Why three: fit-to-fly conditions may be shared with KMar and transport, the medical situation with the
departure partners; medical details (free text) only with the medical service and IND's BMA. Each
lives on its own topic so broker ACLs can enforce the audience.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from schemas import topics
from schemas.events.base import ChainEvent, Partner


class FlightCondition(StrEnum):
    """Conditions under which a person is fit to fly."""

    MEDICAL_ESCORT = "medical_escort"
    MEDICATION = "medication"
    OXYGEN = "oxygen"
    WHEELCHAIR = "wheelchair"


class FitToFly(ChainEvent):
    """A doctor's fit-to-fly statement. Carries conditions, never a diagnosis."""

    subject: ClassVar[str] = "fit_to_fly"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.FIT_TO_FLY
    producers: ClassVar[frozenset[Partner]] = frozenset({Partner.MEDICAL})
    readers: ClassVar[frozenset[Partner]] = frozenset(
        {Partner.DTV, Partner.KMAR, Partner.DJI, Partner.DVO, Partner.IND})

    fit: bool = Field(description="Fit to fly")
    doctor_ref: str = Field(min_length=1, max_length=32, description="Reference of the issuing doctor (BIG id)")
    issued_at: datetime = Field(description="When the statement was issued (UTC)")
    valid_until: datetime = Field(description="Until when the statement holds (UTC)")
    conditions: list[FlightCondition] = Field(default_factory=list, description="Conditions for flying")


class MedicalSituation(ChainEvent):
    """Whether medical circumstances matter for departure, and any postponement (Aliens Act art. 64)."""

    subject: ClassVar[str] = "medical_situation"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.MEDICAL
    producers: ClassVar[frozenset[Partner]] = frozenset({Partner.COA, Partner.MEDICAL, Partner.IND})
    readers: ClassVar[frozenset[Partner]] = frozenset({Partner.DTV, Partner.IND, Partner.KMAR, Partner.DJI})

    relevant_circumstances: bool = Field(description="There are medical circumstances relevant to departure")
    postponed: bool = Field(description="Departure is postponed on medical grounds")
    postponed_until: date | None = Field(default=None, description="End of the postponement, if postponed")


class MedicalDetails(ChainEvent):
    """Medical details behind the situation: need-to-know, medical service and IND-BMA only."""

    subject: ClassVar[str] = "medical_details"
    version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.MEDICAL_DETAILS
    producers: ClassVar[frozenset[Partner]] = frozenset({Partner.MEDICAL})
    readers: ClassVar[frozenset[Partner]] = frozenset({Partner.IND, Partner.MEDICAL})

    details: str = Field(max_length=4000, description="Free-text medical details (special category data)")
    diagnosis_code: str | None = Field(default=None, max_length=16, description="ICD-10 code, if any")
