"""The chain's topics: one per event family, keyed by case key, planned for need-to-know ACLs.

Why per family: the broker will enforce need-to-know with ACLs per topic, so data with a narrower
audience (medical details) gets its own topic, apart from what KMar and transport may read.
Chain topics keep 30 days so that replays with original timestamps stay within retention, and stamp every
record with the broker's append time (``LogAppendTime``): the one arrival time no partner can set, which the
validator's wall clock judges late deliveries by (``validator.arrival``).

The dead-letter topic has no time-based retention: a dead letter keeps its record's original timestamp
(redrive sends back exactly what the partner sent), and Kafka counts retention from the record timestamp,
so letters of records older than the retention (a replay of an old recording with
``--preserve-timestamps``) would be deleted at the broker's next retention check, minutes after they were
written. Dead letters stay until an operator deletes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

THIRTY_DAYS_MS = str(30 * 24 * 3600 * 1000)


@dataclass(frozen=True)
class TopicSpec:
    """A topic the chain needs: name, partitions, configs and who writes and reads it."""

    name: str
    partitions: int
    description: str
    config: dict[str, str] = field(default_factory=dict)

    def prefixed(self, prefix: str) -> TopicSpec:
        """The same topic inside a sandbox prefix (replays, tests)."""
        return TopicSpec(prefix + self.name, self.partitions, self.description, dict(self.config))


APPEND_TIME = {"message.timestamp.type": "LogAppendTime"}
"""The broker stamps each record with its append time (chain topics; see the module docstring)."""
_CHAIN = {"retention.ms": THIRTY_DAYS_MS, "cleanup.policy": "delete", **APPEND_TIME}
DLQ_CONFIG = {"retention.ms": "-1", "cleanup.policy": "delete"}
"""No time-based retention (see the module docstring)."""

CASE = "chain.case"
HANDOVER = "chain.case.handover"
FIT_TO_FLY = "chain.fit-to-fly"
MEDICAL = "chain.medical"
MEDICAL_DETAILS = "chain.medical.details"
BELONGINGS = "chain.belongings"
PHYSICAL_FEATURES = "chain.physical-features"
FLIGHT = "chain.flight"
ESCORT = "chain.escort"
FINDINGS = "chain.validation.findings"
DLQ = "chain.dlq"
CHANGELOGS = "chain.validation.changelog."
"""The start of every validator group's changelog topic name (``<prefix>chain.validation.changelog.<group>``),
created by the group's first member (``validator.changelog_kafka``), not by ``sigma topics apply``."""

CHAIN_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(CASE, 6, "Case lifecycle: handover, talks, travel document, detention, removability, "
              "notification, departure confirmed or aborted", _CHAIN),
    TopicSpec(HANDOVER, 6, "Case handover with the return decision; carries the V-number (IND, DT&V, COA, KMar, "
              "police only)", _CHAIN),
    TopicSpec(FIT_TO_FLY, 6, "Fit-to-fly statements and their conditions (no diagnosis)", _CHAIN),
    TopicSpec(MEDICAL, 6, "Medical situation relevant to departure and postponement decisions", _CHAIN),
    TopicSpec(MEDICAL_DETAILS, 6, "Medical details (need-to-know: medical service and IND-BMA only)", _CHAIN),
    TopicSpec(BELONGINGS, 6, "Personal belongings and baggage", _CHAIN),
    TopicSpec(PHYSICAL_FEATURES, 6, "Physical features for identification", _CHAIN),
    TopicSpec(FLIGHT, 6, "Flight bookings and cancellations", _CHAIN),
    TopicSpec(ESCORT, 6, "KMar escort plans", _CHAIN),
)
"""Topics the partners publish to; the validator consumes all of them."""

OUTPUT_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(FINDINGS, 6, "One validation finding per checked case (compacted, keyed by case)",
              {"cleanup.policy": "compact"}),
    TopicSpec(DLQ, 3, "Dead letters: original record plus stage, error code and origin headers (kept until "
              "deleted)", DLQ_CONFIG),
)

ALL_TOPICS: tuple[TopicSpec, ...] = CHAIN_TOPICS + OUTPUT_TOPICS
