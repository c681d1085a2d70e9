"""The report ``sigma validate --report-json`` writes, as a model: the source of its published JSON Schema.

Why a schema: the report is what dashboards, spreadsheets and the Inspectorate's own analyses read, so its
fields are a contract like the messages'. Every object forbids fields it does not name, so a field added to
the report without being described here fails the tests that validate real reports against the schema.

Why one unversioned file (``schemas/jsonschema/report.schema.json``) and not released versions like the
subjects': a report is a file written by one run of one sigma version, not a record that readers of other
versions meet in a stream; the schema describes the report of the sigma it ships with.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from schemas import layout
from schemas.categories import Category
from schemas.derive import JSON_SCHEMA_DIALECT
from schemas.events.base import CaseKey, Partner
from schemas.findings import RULE_ID_PATTERN, Defect

Rate = Annotated[float, Field(ge=0, le=1)]
"""A share of the checked cases, rounded to 4 decimals."""
Count = Annotated[int, Field(ge=0)]
RuleId = Annotated[str, Field(pattern=RULE_ID_PATTERN)]
CategoryKind = Annotated[str, Field(pattern=r"^[a-z_]+:[a-z_]+$")]
ErrorCode = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
ONLY_MATCHING_KEYS: dict[str, Any] = {"additionalProperties": False}
"""For a mapping whose keys have a pattern: pydantic writes ``patternProperties``, which alone lets any other
key through."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Baseline(_Strict):
    """The Inspectorate's 2018 figures the report compares with."""

    source: str = Field(description="Where the figures come from")
    defect_rate: Rate = Field(description="Share of forced-departure cases with a defect in 2018")
    categories: dict[Category, Rate] = Field(description="Per category the 2018 share (three were published)")


class Week(_Strict):
    """Checked cases of one ISO week of their checkpoint."""

    week: str = Field(pattern=r"^[0-9]{4}-W[0-9]{2}$", description="ISO week, e.g. 2024-W10")
    cases: int = Field(ge=1, description="Cases checked with a checkpoint in the week")
    defective: Count = Field(description="Of them, cases with at least one defect")
    defect_rate: Rate = Field(description="defective / cases")


class CheckedCase(_Strict):
    """One checked case and its defects (as in its latest finding)."""

    case: CaseKey
    checkpoint: datetime = Field(description="The moment of the check, ISO 8601 with offset")
    defects: list[Defect] = Field(description="Every defect found, empty when the case is complete")


class Records(_Strict):
    """What happened to every consumed record: consumed = processed + duplicates + dead_lettered."""

    consumed: Count = Field(description="Records read from the chain topics")
    processed: Count = Field(description="Records taken into a dossier")
    duplicates: Count = Field(description="Events whose id and bytes were processed before, counted once")
    dead_lettered: Count = Field(description="Records sent to the dead-letter topic")


class UnknownCases(_Strict):
    """Events for cases that were never handed over: kept, but not judged."""

    cases: Count = Field(description="Such cases")
    events: Count = Field(description="Their events")


class FidelityShown(_Strict):
    """A fidelity row's figures as the table shows them."""

    seed: str = Field(description="The claimed figure")
    measured: str = Field(description="The figure measured from the records sent, or 'no data'")
    tolerance: str = Field(description="The tolerance, empty when there is nothing to measure")


class FidelityRow(_Strict):
    """One figure the simulator claims, and what the records it sent show (``sigma simulate --summary-json``)."""

    group: str = Field(description="The group of figures the row belongs to")
    figure: str = Field(description="What the figure is")
    source: str = Field(description="Where the claimed figure comes from")
    kind: Literal["share", "rate"] = Field(description="A share of a population, or a rate per unit")
    seed: float = Field(description="The claimed figure")
    measured: float | None = Field(description="count / of, null when of is 0")
    count: Count = Field(description="How many records or cases show it")
    of: float = Field(ge=0, description="Out of how many (a share) or per how much (a rate)")
    tolerance: float | None = Field(description="How far measured may be from seed; null when of is 0")
    holds: bool | None = Field(description="Whether measured is within tolerance; null when of is 0")
    shown: FidelityShown


class Simulation(_Strict):
    """The data is simulated (``sigma validate --simulation-summary``): the simulator's fidelity table."""

    about: str = Field(description="Which simulation: cases, seed, profile")
    fidelity: list[FidelityRow] = Field(description="Every figure the simulator claims, measured")


class Report(_Strict):
    """The report of one validation run (``sigma validate --report-json``). It holds nothing that varies
    between runs over the same records; rates are shares of the checked cases, rounded to 4 decimals."""

    cases_checked: Count = Field(description="Cases judged: forced track, a booking not cancelled before the "
                                             "checkpoint, checkpoint passed")
    cases_defective: Count = Field(description="Of them, cases with at least one defect")
    defect_rate: Rate = Field(description="cases_defective / cases_checked")
    categories: dict[Category, Rate] = Field(description="Per category (every one), the share of checked cases "
                                                         "with a defect in it")
    category_kinds: dict[CategoryKind, Rate] = Field(description="Per category:kind found, the share of checked "
                                                                 "cases with such a defect",
                                                     json_schema_extra=ONLY_MATCHING_KEYS)
    partners: dict[Partner, Rate] = Field(description="Per responsible partner found, the share of checked cases "
                                                      "with a defect it is responsible for")
    rules: dict[RuleId, Rate] = Field(description="Per rule (every one), the share of checked cases it found a "
                                                  "defect in", json_schema_extra=ONLY_MATCHING_KEYS)
    baseline: Baseline
    checkpoint_hours: float = Field(ge=0, description="Hours before departure at which cases are judged")
    over_time: list[Week] = Field(description="Per ISO week of the checkpoint, in order")
    cases: list[CheckedCase] = Field(description="Every checked case, by case key")
    records: Records
    dead_letters: dict[ErrorCode, Annotated[int, Field(ge=1)]] = Field(
        description="Per error code (docs/wire-contract.md), how many records were dead-lettered",
        json_schema_extra=ONLY_MATCHING_KEYS)
    unknown_cases: UnknownCases
    late_deliveries: dict[Partner, Count] = Field(
        description="Per partner, records recorded by their case's checkpoint but delivered after its decision time "
                    "(checkpoint + allowed lateness) had passed in their partition or, with the wall event clock, "
                    "at the broker (its append time): an exchange defect of the partner's own, counted whether or "
                    "not it changed a finding")
    simulation: Simulation | SkipJsonSchema[None] = Field(default=None, description="Present only when the data "
                                                                                    "is simulated")


def json_schema() -> dict[str, Any]:
    """The report's JSON Schema 2020-12, with ``$id`` (its file's URI). A field that may be absent is not
    required, and is never null (the report leaves it out)."""
    schema = Report.model_json_schema(mode="validation")
    schema["properties"]["simulation"].pop("default")
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["$id"] = layout.uri(layout.REPORT_SCHEMA)
    return schema
