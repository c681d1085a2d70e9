"""What the validator publishes on ``chain.validation.findings``: one verdict per checked case, and its revisions.

Why a model here, like the chain's events: the finding is a message of the book too. Dashboards, case
officers' tools and partners' own consumers read it, so its fields are stated once, released in numbered
versions (Avro and JSON Schema, generated from this model) and kept compatible like any subject's; the
validator builds every finding through this model, so it cannot publish a field the schema does not have.

Why JSON on the wire, not Avro: findings are sigma's output, not a partner's input, and are read by people
and small tools (a console consumer, a dashboard) more than by chain systems; their record carries no
CloudEvents envelope (no event id, no producing partner), and the readers of Avro values look writers up
in the chain's catalogue of events, where a finding must never be mistaken for one. The Avro schema is the
same record for whoever stores findings in Avro; the wire format is the JSON Schema's.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas import topics
from schemas.categories import Category, DefectKind
from schemas.events.base import CaseKey, Partner, Versioned

CONTENT_TYPE = "application/json"
"""The one header a finding carries (``content-type``)."""
WITHDRAWN_HEADER = "withdrawn_reason"
"""The one header of a withdrawal (a tombstone: the case's key, no value): why the case's finding was withdrawn."""
RULE_ID_PATTERN = r"^[A-Z]{3}-[0-9]{3}$"
"""A rule's id: three letters of its category, a number (``docs/rules.md``)."""


class Defect(BaseModel):
    """One defect of a checked case: the rule that found it, its category, the partner responsible, what is wrong."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str = Field(pattern=RULE_ID_PATTERN, description="Id of the rule that found the defect (docs/rules.md)")
    category: Category = Field(description="The information category the defect is in")
    partner: Partner = Field(description="The partner responsible for the category in this case")
    kind: DefectKind = Field(description="What is wrong: missing, late, contradictory or invalid")


class Change(StrEnum):
    """What a revision did to a defect."""

    ADDED = "added"
    """The defect is new in this revision."""
    REMOVED = "removed"
    """The previous revision had the defect; this one has not."""


class DefectChange(Defect):
    """A defect that a revision added or removed."""

    change: Change = Field(description="Whether the revision added or removed the defect")


class ValidationFinding(Versioned):
    """The validator's verdict on one checked case.

    Published when the case is decided, and again as a numbered revision whenever records that arrive later
    change it. Keyed by the case key on a compacted topic: the latest finding of a case is its verdict."""

    subject = "validation_finding"
    version = 1
    topic: ClassVar[str] = topics.FINDINGS
    """The topic findings are published on."""

    case: CaseKey
    checkpoint: datetime = Field(description="The moment of the check: the scheduled departure minus the "
                                             "checkpoint hours (48 by default)")
    departure: datetime = Field(description="The scheduled departure of the case's latest booking")
    complete: bool = Field(description="True when no defect was found")
    defects: list[Defect] = Field(description="Every defect found, at most one per category")
    revision: int = Field(ge=0, description="0 for the decision, then 1, 2, … for each change")
    watermark: datetime = Field(description="The event-time watermark when the finding was published: past the "
                                            "checkpoint plus the allowed lateness")
    reason: str | None = Field(description="Why this revision was made, one clause per record that arrived since "
                                           "the previous one; null in revision 0")
    changes: list[DefectChange] = Field(description="The defects this revision added or removed; empty in "
                                                    "revision 0")
    validator_version: str = Field(description="The version of sigma that published the finding")

    @field_validator("checkpoint", "departure", "watermark")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must be timezone-aware (UTC)")
        return value


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not part of a finding")


def encode(finding: ValidationFinding) -> bytes:
    """A finding as published: a JSON object in UTF-8 with sorted keys, times in ISO 8601 with their offset."""
    return json.dumps(finding.model_dump(), sort_keys=True, default=_iso).encode()
