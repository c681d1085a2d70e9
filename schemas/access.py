"""Who may do what on the chain's topics, derived from the message book (the ACL plan).

Why derived: the message book already says who produces and who reads each subject; the broker's ACLs
must say the same, so they are computed from it instead of being written by hand a second time.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from schemas.catalogue import Catalogue
from schemas.events.base import Partner
from schemas.topics import CHAIN_TOPICS, CHANGELOGS, DLQ, FINDINGS

VALIDATOR = "validator"
"""The completeness validator: reads every chain topic, writes findings and dead letters."""
TOOLS = "tools"
"""The record, replay and redrive tools."""
ADMIN = "admin"
"""The operator: a super user (creates topics, sets ACLs); no ACL names it."""
VALIDATOR_TRANSACTIONS = "sigma-validator."
"""The start of every validator's transactional id (``sigma-validator.<prefix><group>.<member>``,
``validator.online``): the validator commits its findings, state and offsets in Kafka transactions."""

PRINCIPALS: tuple[str, ...] = (*(p.value for p in Partner), VALIDATOR, TOOLS, ADMIN)
"""One principal per partner, the validator, the tools and the admin."""


class Grant(NamedTuple):
    """One allowed operation: ``principal`` may ``operation`` the ``resource`` named ``name`` (``pattern``:
    literal, or every name with that prefix)."""

    principal: str
    resource: Literal["topic", "group", "transactional_id"]
    name: str
    pattern: Literal["literal", "prefixed"]
    operation: Literal["read", "write", "create", "describe_configs"]


GRANT_FIX = "grant the message book's ACLs with `sigma acl apply` (same SIGMA_TOPIC_PREFIX)"
"""What to do when the cluster refuses a principal what the plan grants it."""

ANY_GROUP = "*"
"""Kafka's wildcard resource name: the validator and the tools choose their consumer group per run."""


def plan(catalogue: Catalogue, prefix: str = "") -> frozenset[Grant]:
    """The grants the message book implies, for the chain topics under ``prefix``.

    A partner reads a topic when it reads a subject on it, and writes only its own topics (each chain topic
    has one producing partner, ``schemas.topics``); its consumer groups are those named ``<partner>.…``. The
    validator reads every chain topic and writes findings and dead letters; the tools (record, replay,
    redrive) read everything and write the chain topics and dead letters back, and read the configs of what
    they write (a replay warns when retention would delete the timestamps it preserves, and refuses to preserve
    them into topics the broker stamps); the validator reads the chain topics' configs too (its wall event clock
    needs topics the broker stamps with its append time). The validator also creates, reads and writes its groups'
    changelog topics (``<prefix>chain.validation.changelog.<group>``, compacted: it reads their configs to check
    them) and writes in transactions under its transactional ids (``sigma-validator.<prefix>…``; Kafka's write
    grant includes describe). ``admin`` is a super user and needs no grant.
    """
    grants: set[Grant] = set()
    for subject in catalogue.subjects():
        for producer, topic in subject.topics.items():
            grants |= {Grant(p.value, "topic", prefix + topic, "literal", "read") for p in subject.readers}
            grants.add(Grant(producer.value, "topic", prefix + topic, "literal", "write"))
    grants |= {Grant(p.value, "group", f"{p.value}.", "prefixed", "read") for p in Partner}
    chain = [prefix + t.name for t in CHAIN_TOPICS]
    grants |= {Grant(VALIDATOR, "topic", t, "literal", op) for t in chain for op in ("read", "describe_configs")}
    grants |= {Grant(VALIDATOR, "topic", prefix + t, "literal", "write") for t in (FINDINGS, DLQ)}
    grants |= {Grant(VALIDATOR, "topic", prefix + CHANGELOGS, "prefixed", op)
               for op in ("create", "read", "write", "describe_configs")}
    grants |= {Grant(VALIDATOR, "transactional_id", VALIDATOR_TRANSACTIONS + prefix, "prefixed", "write")}
    grants |= {Grant(TOOLS, "topic", t, "literal", op) for t in [*chain, prefix + DLQ] for op in ("read", "write")}
    grants |= {Grant(TOOLS, "topic", t, "literal", "describe_configs") for t in [*chain, prefix + DLQ]}
    grants |= {Grant(TOOLS, "topic", prefix + FINDINGS, "literal", "read")}
    grants |= {Grant(who, "group", ANY_GROUP, "literal", "read") for who in (VALIDATOR, TOOLS)}
    return frozenset(grants)


def wider_than_the_book(catalogue: Catalogue) -> dict[str, list[str]]:
    """Per principal, the subjects a topic-level grant lets it read although the message book does not: what
    a topic shared by subjects with different readers would leak. Empty while every topic has one audience
    (a unit test holds it so)."""
    by_topic: dict[str, set[str]] = {}
    for subject in catalogue.subjects():
        for topic in subject.topics.values():
            by_topic.setdefault(topic, set()).update(p.value for p in subject.readers)
    wider: dict[str, list[str]] = {}
    for subject in catalogue.subjects():
        leaked = set().union(*(by_topic[t] for t in subject.topics.values())) - {p.value for p in subject.readers}
        for reader in sorted(leaked):
            wider.setdefault(reader, []).append(subject.name)
    return wider
