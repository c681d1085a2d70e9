"""What every chain event has in common, and the vocabulary shared by all event types.

One pydantic model per event type is the single source of truth: the Avro and JSON Schema files under
``schemas/avro`` and ``schemas/jsonschema`` are generated from these models and committed per version.
Each model names its subject in its class line (``class Belongings(ChainEvent, subject="belongings",
family=..., producers=..., readers=...)``); these become class variables describing the subject (name,
version, family and so its topics, who may produce and read it). They are not fields and never travel on the
wire.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from schemas.families import Family, topic_name

CASE_KEY_PATTERN = r"^ck_[0-9a-f]{24}$"
PRODUCER_CHECKED_LATER = {"producer_checked_later": True}
"""Validation context for readers: the partner's right to produce the subject is checked by the reader with
the other record-level rules (``partner-not-allowed``), as for an Avro value, not by the model."""

CaseKey = Annotated[
    str,
    Field(pattern=CASE_KEY_PATTERN,
          description="Pseudonymous case key: keyed hash of the V-number (never the V-number itself)"),
]


class Partner(StrEnum):
    """Chain partners that produce or read events."""

    IND = "ind"
    """Immigration and Naturalisation Service (incl. BMA, its medical advisory office)."""
    COA = "coa"
    """Central Agency for the Reception of Asylum Seekers."""
    DTV = "dtv"
    """Repatriation and Departure Service (DT&V / DTenV): directs the departure."""
    KMAR = "kmar"
    """Royal Marechaussee: border police, escorts forced departures."""
    POLICE = "police"
    """AVIM / police: aliens supervision."""
    DJI = "dji"
    """Custodial Institutions Agency: detention."""
    DVO = "dvo"
    """Transport and Support Service (DV&O): transport to the airport."""
    MEDICAL = "medical"
    """Medical service (detention or reception doctor) issuing fit-to-fly statements."""


class Versioned(BaseModel):
    """A record whose schema is released in numbered, immutable versions (``schemas/avro/<subject>/v<N>.avsc``
    and the JSON Schema beside it): the chain's events, and what sigma itself publishes (findings)."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    subject: ClassVar[str]
    """Subject name; also the category vocabulary where the event is one of the checked categories."""
    version: ClassVar[int]
    """Current released version of this subject's schema."""


class ChainEvent(Versioned):
    """Fields every event carries. Subclasses describe their subject with class keywords (see ``__init_subclass__``)."""

    family: ClassVar[Family]
    """The family the subject belongs to (``schemas.families``): each producer publishes it on its own topic
    of that family."""
    producers: ClassVar[frozenset[Partner]]
    """Partners allowed to produce this subject (write access follows the owning partner)."""
    readers: ClassVar[frozenset[Partner]]
    """Partners allowed to read it (need-to-know)."""
    topics: ClassVar[Mapping[Partner, str]]
    """Per producer, the topic it publishes the subject on: ``chain.<producer>.<family>``."""
    need_to_know: ClassVar[str] = ""
    """Why the readers are who they are, where the message book records a decision about it (rendered there)."""

    event_id: str = Field(pattern=r"^[0-9a-f-]{36}$", description="Unique event id (UUID)")
    case_key: CaseKey
    partner: Partner = Field(description="Partner that produced the event (the source)")
    occurred_at: datetime = Field(description="When it happened in the world (UTC)")
    recorded_at: datetime = Field(description="When the partner's system recorded it (UTC)")
    schema_version: int = Field(ge=1, description="Version of the subject schema the event was written with")

    def __init_subclass__(cls, *, subject: str | None = None, family: Family | None = None,
                          producers: Iterable[Partner] | None = None, readers: Iterable[Partner] | None = None,
                          version: int | None = None, need_to_know: str | None = None, **kwargs: Any) -> None:
        """Set the subject's class variables from the class line, so a model states only what is its own.

        Why keywords: the descriptions are required of every event type, and a forgotten one fails when the
        class is defined, not when the catalogue first reads it. A subclass of an event type inherits what it
        does not name. ``version`` is 1 until a changed model is released under a new version.
        """
        super().__init_subclass__(**kwargs)
        described = {"subject": subject, "version": version, "family": family,
                     "producers": None if producers is None else frozenset(producers),
                     "readers": None if readers is None else frozenset(readers)}
        for name, value in described.items():
            if value is not None:
                setattr(cls, name, value)
        if need_to_know is not None:
            cls.need_to_know = need_to_know
        if not hasattr(cls, "version"):
            cls.version = 1
        missing = [name for name in described if not hasattr(cls, name)]
        if missing:
            raise TypeError(f"{cls.__name__} must name its {', '.join(missing)} in its class line")
        cls.topics = {p: topic_name(p.value, cls.family.name) for p in sorted(cls.producers, key=list(Partner).index)}

    @classmethod
    def topic_of(cls, partner: Partner) -> str:
        """The topic ``partner`` publishes this subject on (a partner that may not produce it has none)."""
        try:
            return cls.topics[partner]
        except KeyError:
            raise ValueError(f"partner '{partner.value}' may not produce {cls.subject}") from None

    @field_validator("occurred_at", "recorded_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must be timezone-aware (UTC)")
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_version(cls, data: Any) -> Any:
        if isinstance(data, dict) and "schema_version" not in data and hasattr(cls, "version"):
            return {**data, "schema_version": cls.version}
        return data

    @model_validator(mode="after")
    def _producer_owns_subject(self, info: ValidationInfo) -> ChainEvent:
        if self.partner not in self.producers and not (info.context and info.context.get("producer_checked_later")):
            owners = ", ".join(sorted(p.value for p in self.producers))
            raise ValueError(f"partner '{self.partner.value}' may not produce {self.subject} (owners: {owners})")
        return self
