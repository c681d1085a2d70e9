"""The chain's topics: one per producing partner and event family, keyed by case key, for need-to-know ACLs.

Why per producer and family (``chain.<producer>.<family>``, the rule in ``schemas.families``): the broker
enforces need-to-know and authenticity with ACLs per topic. A topic has exactly one producing partner, so
its write ACL binds the source (a partner can write only its own topics, and a record on a partner's topic
that names another partner is dead-lettered as ``source-mismatch``), and exactly one audience, so its read
ACL lets a partner read exactly the subjects the message book gives it (medical details on a topic of their
own, read by the medical service and IND only). The plan is derived from the models: each subject's family
and producers.

Why 3 partitions per chain topic, and the same for all: the validator joins every chain topic by case key,
which needs co-partitioned inputs (one partition count, one partitioner), and 3 keeps the total near what
one broker and one validator handle comfortably (23 topics, 69 partitions; the earlier plan had 9 topics of
6, 54). Splitting per producer spreads each former topic's load over several topics, so a topic carries a
fraction of what it did; fewer partitions per topic keep each busier, and a partition that falls silent
holds the watermark until its idle timeout (the latency bench's stream at 1,000 events/s: silent for over 1 s
74-82 times in 140 s on this plan, 326-335 on the former; 23-24% of its findings waited for a timeout, against
53-57%: README, Benchmarks). It also bounds a consumer group to 3 members per topic (sigma runs one validator,
which reads all 69).
Chain topics keep a case's records for as long as a case runs (``CHAIN_RETENTION_DAYS``, from the domain),
and stamp every record with the broker's append time (``LogAppendTime``): the one arrival time no partner can
set, which the validator's wall clock judges late deliveries by (``validator.arrival``).

The dead-letter topic has no time-based retention: a dead letter keeps its record's original timestamp
(redrive sends back exactly what the partner sent), and Kafka counts retention from the record timestamp,
so letters of records older than the retention (a replay of an old recording with
``--preserve-timestamps``) would be deleted at the broker's next retention check, minutes after they were
written. Dead letters stay until an operator deletes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.events import EVENT_TYPES, CaseHandedOver, MedicalDetails, Partner
from schemas.families import topic_name

CHAIN_RETENTION_DAYS = 180
"""How long the chain topics keep a record (from its append time): as long as a case runs, plus a margin.

Why: a validator group started fresh, or one whose changelog was deleted to rebuild its state, rebuilds every
open case from the chain topics alone, and a recording captures whole cases, only while a case's first records
are still there. A case runs from handover to ``case_closed`` for weeks to months (DOMAIN.md: 28 days to
leave voluntarily, departure talks by day 10 and 15, a booking, a removal, cancellations and rebookings):
in the simulator up to 134 days, median 55, 99th percentile 117 (3,000 cases, the default profile;
``tests/unit/test_schemas_retention.py`` checks the plan covers its longest case and the validator's eviction
grace). 180 days covers that with six weeks to spare. Not longer: the chain topics carry personal data, kept
no longer than the exchange needs it; a case open for longer (a detention can legally last 18 months) is
carried by the validator group's changelog, which keeps its dossier until the case closes (``validator
.changelog``). 30 days, the plan before, dropped the start of most cases while they were still open."""
CHAIN_RETENTION_MS = str(CHAIN_RETENTION_DAYS * 24 * 3600 * 1000)


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
_CHAIN: dict[str, str] = {"retention.ms": CHAIN_RETENTION_MS, "cleanup.policy": "delete", **APPEND_TIME}
DLQ_CONFIG = {"retention.ms": "-1", "cleanup.policy": "delete"}
"""No time-based retention (see the module docstring)."""

CHAIN_PARTITIONS = 3
"""Partitions of every chain topic (one count for all: the validator's inputs are co-partitioned)."""
FINDINGS = "chain.validation.findings"
DLQ = "chain.dlq"
CHANGELOGS = "chain.validation.changelog."
"""The start of every validator group's changelog topic name (``<prefix>chain.validation.changelog.<group>``),
created by the group's first member (``validator.changelog_kafka``), not by ``sigma topics apply``."""


def _chain_topics() -> tuple[TopicSpec, ...]:
    """One topic per (producer, family) of the models, in the order the families first appear, each family's
    producers in the partners' order."""
    families = list(dict.fromkeys(model.family for model in EVENT_TYPES))
    specs = []
    for family in families:
        producers = {p for model in EVENT_TYPES if model.family == family for p in model.producers}
        specs += [TopicSpec(topic_name(p.value, family.name), CHAIN_PARTITIONS,
                            f"{family.description}; written by {p.value} only", _CHAIN)
                  for p in Partner if p in producers]
    return tuple(specs)


CHAIN_TOPICS: tuple[TopicSpec, ...] = _chain_topics()
"""Topics the partners publish to, each by one partner; the validator consumes all of them."""
PRODUCER: dict[str, Partner] = {topic: partner for model in EVENT_TYPES for partner, topic in model.topics.items()}
"""The one partner that writes each chain topic."""
HANDOVER = CaseHandedOver.topic_of(Partner.IND)
"""Where cases start (and the only topic that carries the V-number, in its payload)."""
MEDICAL_DETAILS = MedicalDetails.topic_of(Partner.MEDICAL)

OUTPUT_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(FINDINGS, 6, "One validation finding per checked case (compacted, keyed by case)",
              {"cleanup.policy": "compact"}),
    TopicSpec(DLQ, 3, "Dead letters: original record plus stage, error code and origin headers (kept until "
              "deleted)", DLQ_CONFIG),
)

ALL_TOPICS: tuple[TopicSpec, ...] = CHAIN_TOPICS + OUTPUT_TOPICS
