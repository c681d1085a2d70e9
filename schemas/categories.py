"""The defect vocabulary shared by the simulator's ground truth and the validator's report.

Why here: the simulator (``producers``) and the validator must name categories and defect kinds
identically, or comparing ground truth with findings is meaningless; both may import ``schemas``.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """Information categories checked before a departure."""

    BELONGINGS = "belongings"
    """Personal belongings registered (items, where kept). 45% missing in 2018."""
    PHYSICAL_FEATURES = "physical_features"
    """Height, build, marks, photo. 17% missing in 2018."""
    MEDICAL = "medical"
    """Medical situation relevant to departure recorded. 12% missing in 2018."""
    FIT_TO_FLY = "fit_to_fly"
    """A fit-to-fly statement, valid through the flight."""
    BAGGAGE = "baggage"
    """Number of bags and weight, consistent across the partners holding them."""
    FLIGHT_BOOKING = "flight_booking"
    """A complete, plausible booking."""
    NOTIFICATION = "notification"
    """The person told of the flight at least 48 hours before departure."""
    TRAVEL_DOCUMENT = "travel_document"
    """A travel document valid on the flight date."""
    REMOVABILITY = "removability"
    """IND confirmed close to departure that the person is still removable."""
    ESCORT = "escort"
    """KMar's escort plan, consistent with the booking."""


class DefectKind(StrEnum):
    """What is wrong with a category at the checkpoint."""

    MISSING = "missing"
    """Never sent (before the check)."""
    LATE = "late"
    """Sent, but recorded after the checkpoint (or a notice given less than 48 hours before)."""
    CONTRADICTORY = "contradictory"
    """Two partners disagree, or a statement contradicts the flight (fit-to-fly expires before it)."""
    INVALID = "invalid"
    """Schema-valid but wrong (arrival airport equals departure airport, document expired)."""


BASELINE_2018: dict[str, float] = {
    "defect_rate": 0.66,
    Category.BELONGINGS.value: 0.45,
    Category.PHYSICAL_FEATURES.value: 0.17,
    Category.MEDICAL.value: 0.12,
}
"""Inspectorate of Justice and Security, 'Gedwongen vertrek in beeld' (2018): share of forced-departure
cases with a defect in the information exchanged through Sigma, overall and for three categories."""
