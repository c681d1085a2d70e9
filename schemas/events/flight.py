"""Flight booking (DT&V) and escort plan (KMar)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from schemas import families
from schemas.events.base import ChainEvent, Partner
from schemas.events.lifecycle import CancellationReason


class BookingStatus(StrEnum):
    """State of a booking."""

    BOOKED = "booked"
    CANCELLED = "cancelled"


class FlightBooking(ChainEvent, subject="flight_booking", family=families.FLIGHT, producers={Partner.DTV},
                    readers={Partner.KMAR, Partner.IND, Partner.DJI, Partner.DVO, Partner.MEDICAL}):
    """A seat booked (or cancelled) for a departure."""

    booking_ref: str = Field(min_length=1, max_length=32, description="Booking reference")
    carrier: str = Field(pattern=r"^[A-Z0-9]{2}$", description="IATA airline designator")
    flight_number: str = Field(pattern=r"^[A-Z0-9]{2}[0-9]{1,4}$", description="Flight number, e.g. KL1234")
    departure_airport: str = Field(pattern=r"^[A-Z]{3}$", description="IATA code of the departure airport")
    arrival_airport: str = Field(pattern=r"^[A-Z]{3}$", description="IATA code of the arrival airport")
    scheduled_departure: datetime = Field(description="Scheduled departure (UTC)")
    escort_count: int = Field(ge=0, le=10, description="Escort seats booked")
    status: BookingStatus = Field(description="Booked or cancelled")
    cancellation_reason: CancellationReason | None = Field(default=None, description="Why, when cancelled")


class EscortPlan(ChainEvent, subject="escort_plan", family=families.ESCORT, producers={Partner.KMAR},
                 readers={Partner.DTV, Partner.DJI, Partner.DVO}):
    """KMar's escort plan for a booked departure."""

    booking_ref: str = Field(min_length=1, max_length=32, description="Booking the plan is for")
    escorted: bool = Field(description="Escorted departure")
    escort_count: int = Field(ge=0, le=10, description="Number of escorts (two or more when escorted)")
    medical_escort: bool = Field(description="A medical escort travels along")
