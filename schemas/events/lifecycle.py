"""The case lifecycle around the information categories: from handover to departure."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from schemas import families
from schemas.events.base import ChainEvent, Partner

_ALL = frozenset(Partner)


class Track(StrEnum):
    """Departure track set by the return decision."""

    VOLUNTARY = "voluntary"
    FORCED = "forced"


class CaseHandedOver(ChainEvent, subject="case_handed_over", family=families.HANDOVER, producers={Partner.IND},
                     readers={Partner.DTV, Partner.COA, Partner.KMAR, Partner.POLICE}):
    """IND hands the case over to DT&V with the return decision (the start of every case)."""

    v_number: str = Field(pattern=r"^[0-9]{10}$",
                          description="V-number (vreemdelingennummer); personal data, payload only")
    return_decision_id: str = Field(min_length=1, max_length=64, description="Reference of the return decision")
    decision_date: date = Field(description="Date of the return decision")
    departure_deadline: date = Field(description="Last day to leave voluntarily (decision date when immediate)")
    track: Track = Field(description="Voluntary or forced departure track")
    entry_ban: bool = Field(description="Return decision carries an entry ban (immediate departure)")


class TalkOutcome(StrEnum):
    """How a departure talk went."""

    COOPERATIVE = "cooperative"
    NOT_COOPERATIVE = "not_cooperative"
    NO_SHOW = "no_show"


class DepartureTalkHeld(ChainEvent, subject="departure_talk_held", family=families.TALK, producers={Partner.DTV},
                        readers={Partner.IND, Partner.COA, Partner.KMAR}):
    """DT&V held a departure talk (first by day 10, second around day 15, third on strategy)."""

    talk_number: int = Field(ge=1, le=20, description="1 for the first talk, 2 for the second…")
    outcome: TalkOutcome = Field(description="How the talk went")


class DocumentType(StrEnum):
    """Kinds of travel document."""

    PASSPORT = "passport"
    LAISSEZ_PASSER = "laissez_passer"
    EU_TRAVEL_DOCUMENT = "eu_travel_document"


class TravelDocumentRequested(ChainEvent, subject="travel_document_requested",
                              family=families.DOCUMENT_REQUESTED,
                              producers={Partner.DTV}, readers={Partner.IND, Partner.KMAR}):
    """DT&V asked a country's representation for a (replacement) travel document."""

    document_type: DocumentType = Field(description="Requested kind of document")
    country: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 code of the issuing country")


class TravelDocumentObtained(ChainEvent, subject="travel_document_obtained",
                             family=families.DOCUMENT_OBTAINED, producers={Partner.DTV},
                             readers={Partner.IND, Partner.KMAR, Partner.DJI, Partner.DVO}):
    """A valid travel document is in hand (DT&V)."""

    document_type: DocumentType = Field(description="Passport, laissez-passer or EU travel document")
    country: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 code of the issuing country")
    valid_until: date = Field(description="Last day the document is valid")


class DetentionStarted(ChainEvent, subject="detention_started", family=families.CASE,
                       producers={Partner.DJI, Partner.KMAR, Partner.POLICE}, readers=_ALL):
    """The person was placed in (aliens) detention."""

    location_code: str = Field(min_length=1, max_length=32, description="Code of the detention location")


class DetentionEndReason(StrEnum):
    """Why a detention ended."""

    DEPARTED = "departed"
    LIFTED = "lifted"
    TRANSFERRED = "transferred"
    OTHER = "other"


class DetentionEnded(ChainEvent, subject="detention_ended", family=families.CASE,
                     producers={Partner.DJI, Partner.KMAR, Partner.POLICE}, readers=_ALL):
    """The detention ended."""

    reason: DetentionEndReason = Field(description="Why the detention ended")


class RemovabilityConfirmed(ChainEvent, subject="removability_confirmed",
                            family=families.REMOVABILITY, producers={Partner.IND},
                            readers={Partner.DTV, Partner.KMAR, Partner.DJI}):
    """IND confirms, close to departure, whether the person is still legally removable."""

    removable: bool = Field(description="Legally removable now")
    pending_procedure: bool = Field(description="A new legal procedure is pending")


class FlightNotified(ChainEvent, subject="flight_notified", family=families.FLIGHT_NOTIFIED, producers={Partner.DTV},
                     readers={Partner.KMAR, Partner.DJI, Partner.IND}):
    """DT&V told the person about the planned flight (due 48 hours before departure)."""

    booking_ref: str = Field(min_length=1, max_length=32, description="Booking the notice is about")
    notified_at: datetime = Field(description="When the person was told (UTC)")


class CancellationReason(StrEnum):
    """Why a booked departure did not happen (seen in practice and in the seeds)."""

    NEW_LEGAL_PROCEDURE = "new_legal_procedure"
    ABSCONDED = "absconded"
    RESISTANCE = "resistance"
    MEDICAL = "medical"
    DOCUMENT = "document"
    CARRIER = "carrier"
    INSUFFICIENT_PREPARATION = "insufficient_preparation"
    OTHER = "other"


class DepartureConfirmed(ChainEvent, subject="departure_confirmed", family=families.CASE, producers={Partner.KMAR},
                         readers=_ALL):
    """KMar confirms the person left: the aircraft doors closed."""

    booking_ref: str = Field(min_length=1, max_length=32, description="Booking that was flown")
    departed_at: datetime = Field(description="When the doors closed (UTC)")


class DepartureAborted(ChainEvent, subject="departure_aborted", family=families.CASE, producers={Partner.KMAR},
                       readers=_ALL):
    """KMar reports that a departure was aborted, with the reason."""

    booking_ref: str = Field(min_length=1, max_length=32, description="Booking that was not flown")
    reason: CancellationReason = Field(description="Why the departure was aborted")


class CaseOutcome(StrEnum):
    """How DT&V closes a case (the categories of DTenV's annual figures)."""

    INDEPENDENT_DEPARTURE = "independent_departure"
    FORCED_DEPARTURE = "forced_departure"
    LEFT_WITHOUT_SUPERVISION = "left_without_supervision"
    OUTFLOW_WITHOUT_DEPARTURE = "outflow_without_departure"


class CaseClosed(ChainEvent, subject="case_closed", family=families.CASE, producers={Partner.DTV}, readers=_ALL):
    """DT&V closes the case with its outcome."""

    outcome: CaseOutcome = Field(description="How the case ended")
