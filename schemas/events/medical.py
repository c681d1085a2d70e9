"""Fit to fly and the medical situation: shared need-to-know, in three subjects on two audiences.

Why three: fit-to-fly conditions may be shared with KMar and transport, the medical situation with the
departure partners; medical details (free text) only with the medical service and IND's BMA. Each
lives on topics of its own (one per producer) so broker ACLs can enforce the audience.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from schemas import families
from schemas.events.base import ChainEvent, Partner


class FlightCondition(StrEnum):
    """Conditions under which a person is fit to fly."""

    MEDICAL_ESCORT = "medical_escort"
    MEDICATION = "medication"
    OXYGEN = "oxygen"
    WHEELCHAIR = "wheelchair"


class FitToFly(ChainEvent, subject="fit_to_fly", family=families.FIT_TO_FLY, producers={Partner.MEDICAL},
               readers={Partner.DTV, Partner.KMAR, Partner.DJI, Partner.DVO, Partner.IND}):
    """A doctor's fit-to-fly statement. Carries conditions, never a diagnosis."""

    fit: bool = Field(description="Fit to fly")
    doctor_ref: str = Field(min_length=1, max_length=32, description="Reference of the issuing doctor (BIG id)")
    issued_at: datetime = Field(description="When the statement was issued (UTC)")
    valid_until: datetime = Field(description="Until when the statement holds (UTC)")
    conditions: list[FlightCondition] = Field(default_factory=list, description="Conditions for flying")


class MedicalSituation(ChainEvent, subject="medical_situation", family=families.MEDICAL,
                       producers={Partner.COA, Partner.MEDICAL, Partner.IND},
                       readers={Partner.DTV, Partner.IND, Partner.KMAR, Partner.DJI},
                       need_to_know=(
                           "Decided: KMar and DJI keep read access. The payload carries no diagnosis, only whether "
                           "medical circumstances are relevant and a postponement with its end date, and both act on "
                           "a postponement: KMar cancels or re-plans the escort and the flight, DJI decides whether "
                           "detention continues while departure is postponed. The diagnosis stays in "
                           "medical_details (medical service and IND only).")):
    """Whether medical circumstances matter for departure, and any postponement (Aliens Act art. 64)."""

    relevant_circumstances: bool = Field(description="There are medical circumstances relevant to departure")
    postponed: bool = Field(description="Departure is postponed on medical grounds")
    postponed_until: date | None = Field(default=None, description="End of the postponement, if postponed")


class MedicalDetails(ChainEvent, subject="medical_details", family=families.MEDICAL_DETAILS,
                     producers={Partner.MEDICAL},
                     readers={Partner.IND, Partner.MEDICAL}):
    """Medical details behind the situation: need-to-know, medical service and IND-BMA only."""

    details: str = Field(max_length=4000, description="Free-text medical details (special category data)")
    diagnosis_code: str | None = Field(default=None, max_length=16, description="ICD-10 code, if any")
