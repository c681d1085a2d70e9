"""The refusal matrix: every principal against every topic of the ACL plan, with confluent-kafka (librdkafka),
a client sigma does not use, on a secured broker of this module's own with exactly the planned ACLs.

What the plan grants works: a read sees the record on the topic, a write is acknowledged, a consumer group is
usable. Every other read, write and group use is refused with an authorization error, and so is every topic
creation, config change and record deletion by anyone but ``admin``. The number of forbidden operations tried
and refused must equal the number the plan implies (printed, and recorded as the test's ``refused``
property), so a plan that grows a topic or a principal grows the matrix with it. Sigma's own producer
(kafka-python) meets the same write refusals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import pytest
from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourceType,
)
from kafka import errors

from runtime import acls, clients
from runtime.acls import AclEntry
from runtime.topics import apply_topics
from schemas.access import ADMIN, PRINCIPALS, Grant, plan
from schemas.catalogue import Catalogue
from schemas.events.base import Partner
from schemas.topics import ALL_TOPICS
from tests.conftest import KafkaCluster, new_broker, running

pytestmark = pytest.mark.kafka
PREFIX = "matrix."
TOPICS = tuple(PREFIX + t.name for t in ALL_TOPICS)
GROUPS = tuple(f"{p.value}.matrix" for p in Partner)
"""One consumer group per partner, in the name space the plan gives it."""
OTHERS = tuple(p for p in PRINCIPALS if p != ADMIN)
"""Every principal but the super user."""
REFUSED = {*(KafkaError(c).name() for c in (KafkaError.TOPIC_AUTHORIZATION_FAILED,
                                             KafkaError.GROUP_AUTHORIZATION_FAILED,
                                             KafkaError.CLUSTER_AUTHORIZATION_FAILED)),
           *(e.__name__ for e in (errors.TopicAuthorizationFailedError, errors.GroupAuthorizationFailedError,
                                  errors.ClusterAuthorizationFailedError))}
"""Authorization errors as librdkafka and as kafka-python (sigma's client) name them."""
WAIT = 30.0
"""Seconds one request may take before the test gives up on it (a bound for a hang, not a timing claim)."""


class Outcome(NamedTuple):
    """One operation tried: what the plan says and what the broker did (None: it worked)."""

    principal: str
    operation: str
    resource: str
    allowed: bool
    error: str | None

    @property
    def as_planned(self) -> bool:
        return self.error is None if self.allowed else self.error in REFUSED


def grants(principal: str, resource: str, name: str, operation: str, planned: frozenset[Grant]) -> bool:
    """Kafka's matching: a literal name (``*`` matches every name) or a prefix, for this principal."""
    return principal == ADMIN or any(
        g.principal == principal and g.resource == resource and g.operation == operation
        and (g.name in (name, "*") if g.pattern == "literal" else name.startswith(g.name))
        for g in planned)


@pytest.fixture(scope="module")
def matrix_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """A secured broker with the chain topics under ``matrix.``, exactly the planned ACLs, and one record
    (written by admin) on partition 0 of every topic."""
    for cluster in running(new_broker(tmp_path_factory.mktemp("refusals"), secured=True)):
        settings = cluster.settings()
        apply_topics(settings, [t.prefixed(PREFIX) for t in ALL_TOPICS])
        acls.apply(settings, [AclEntry(*g) for g in plan(Catalogue(), PREFIX)], lambda _: True)
        yield cluster


def _writes(cluster: KafkaCluster, principal: str, planned: frozenset[Grant]) -> list[Outcome]:
    """One producer for the principal sends one record to partition 0 of every topic."""
    errors: dict[str, KafkaError | None] = {}
    producer = Producer({**cluster.librdkafka(principal), "message.timeout.ms": int(WAIT * 1000)})
    for topic in TOPICS:
        producer.produce(topic, key=b"matrix", value=principal.encode(), partition=0,
                         on_delivery=lambda err, msg, topic=topic: errors.__setitem__(topic, err))
    assert producer.flush(WAIT * 2) == 0, f"{principal}: deliveries still pending"
    return [Outcome(principal, "write", t, grants(principal, "topic", t, "write", planned),
                    None if errors[t] is None else errors[t].name()) for t in TOPICS]


def _reads(cluster: KafkaCluster, principal: str, planned: frozenset[Grant]) -> list[Outcome]:
    """One consumer for the principal, subscribed to every topic: each topic yields its first record (admin's)
    or an error. Subscribed, not assigned: librdkafka reports a topic the principal may not even describe
    only for a subscription (an assigned one just stays silent)."""
    consumer = Consumer({**cluster.librdkafka(principal), "group.id": f"{principal}.matrix",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    consumer.subscribe(list(TOPICS))
    seen: dict[str, str | None] = {}
    try:
        misses = 0
        while len(seen) < len(TOPICS):
            msg = consumer.poll(1.0)
            if msg is None:
                misses += 1
                assert misses < WAIT, f"{principal}: no answer for {sorted(set(TOPICS) - set(seen))}"
                continue
            topic = msg.topic()
            assert topic in TOPICS, f"{principal}: an error without its topic: {msg.error()}"
            if topic in seen:
                continue
            if msg.error() is None:
                assert (msg.offset(), msg.value()) == (0, ADMIN.encode()), f"{principal} on {topic}"
            seen[topic] = None if msg.error() is None else msg.error().name()
    finally:
        consumer.close()
    return [Outcome(principal, "read", t, grants(principal, "topic", t, "read", planned), seen[t]) for t in TOPICS]


def _administers(cluster: KafkaCluster, principal: str, planned: frozenset[Grant]) -> list[Outcome]:
    """With one admin client: create every topic (and a new one), change each topic's config, delete its
    records, and commit offsets in every partner's consumer group."""
    admin = AdminClient(cluster.librdkafka(principal))
    outcomes: list[Outcome] = []

    def record(operation: str, resource: str, allowed: bool, future: object) -> None:
        try:
            future.result(WAIT)  # type: ignore[attr-defined]
            error = None
        except KafkaException as exc:
            error = exc.args[0].name()
        outcomes.append(Outcome(principal, operation, resource, allowed, error))

    new = [NewTopic(t, num_partitions=1, replication_factor=1) for t in (*TOPICS, PREFIX + "not-planned")]
    for topic, future in admin.create_topics(new, request_timeout=WAIT).items():
        record("create", topic, False, future)
    retention = ConfigEntry("retention.ms", "1000", incremental_operation=AlterConfigOpType.SET)
    for resource, future in admin.incremental_alter_configs(
            [ConfigResource(ResourceType.TOPIC, t, incremental_configs=[retention]) for t in TOPICS]).items():
        record("alter-config", resource.name, False, future)
    for partition, future in admin.delete_records([TopicPartition(t, 0, 1) for t in TOPICS]).items():
        record("delete-records", partition.topic, False, future)
    readable = next(t for t in TOPICS if grants(principal, "topic", t, "read", planned))
    for group in GROUPS:
        offsets = ConsumerGroupTopicPartitions(group, [TopicPartition(readable, 0, 0)])
        (future,) = admin.alter_consumer_group_offsets([offsets]).values()
        record("use-group", group, grants(principal, "group", group, "read", planned), future)
    return outcomes


def test_every_principal_may_do_what_the_plan_grants_and_nothing_else(
    matrix_cluster: KafkaCluster, record_property: Callable[[str, object], None]
) -> None:
    planned = plan(Catalogue(), PREFIX)
    outcomes = _writes(matrix_cluster, ADMIN, planned)
    assert [o for o in outcomes if o.error is not None] == []  # the first record on each topic is admin's
    outcomes += [o for p in OTHERS for o in _writes(matrix_cluster, p, planned)]
    outcomes += [o for p in PRINCIPALS for o in _reads(matrix_cluster, p, planned)]
    outcomes += [o for p in OTHERS for o in _administers(matrix_cluster, p, planned)]

    wrong = [o for o in outcomes if not o.as_planned]
    assert wrong == []
    topic_grants = sum(grants(p, "topic", t, op, planned) for p in OTHERS for t in TOPICS for op in ("read", "write"))
    group_grants = sum(grants(p, "group", g, "read", planned) for p in OTHERS for g in GROUPS)
    forbidden = (len(OTHERS) * len(TOPICS) * 2 - topic_grants  # reads and writes the plan does not grant
                 + len(OTHERS) * (len(TOPICS) + 1)  # creating each planned topic and a new one
                 + len(OTHERS) * len(TOPICS) * 2  # a config change and a record deletion on each topic
                 + len(OTHERS) * len(GROUPS) - group_grants)  # a consumer group not the principal's
    refused = sum(1 for o in outcomes if not o.allowed)
    print(f"\nrefusal matrix: {len(PRINCIPALS)} principals x {len(TOPICS)} topics; {refused} forbidden "
          f"operations tried and refused, {len(outcomes) - refused} allowed ones worked")
    record_property("refused", refused)
    assert refused == forbidden and all(o.error is not None for o in outcomes if not o.allowed)
    assert sum(1 for o in outcomes if o.allowed and o.operation in ("read", "write")) == (
        topic_grants + 2 * len(TOPICS))  # admin reads and writes everything

    admin = AdminClient(matrix_cluster.librdkafka(ADMIN))
    looker = Consumer({**matrix_cluster.librdkafka(ADMIN), "group.id": "admin.matrix"})
    try:
        assert looker.get_watermark_offsets(TopicPartition(TOPICS[0], 0), WAIT)[0] == 0, "records were deleted"
    finally:
        looker.close()
    (described,) = admin.describe_configs([ConfigResource(ResourceType.TOPIC, TOPICS[0])]).values()
    assert described.result(WAIT)["retention.ms"].value != "1000", "a refused config change took effect"
    assert PREFIX + "not-planned" not in admin.list_topics(timeout=WAIT).topics


def _sigma_writes(cluster: KafkaCluster, principal: str, planned: frozenset[Grant]) -> list[Outcome]:
    """The same writes with sigma's own client (kafka-python, from ``runtime.clients``): one record to every
    topic. Not idempotent here, so a principal without any write grant meets each topic's refusal, not the
    cluster-level one of an idempotent producer. (Reads are left to librdkafka: kafka-python reports a topic the
    principal may not describe now and then, not always, so a read test with it could not tell "refused" from
    "slow".)"""
    producer = clients.producer(cluster.settings(principal=principal), enable_idempotence=False,
                                max_block_ms=int(WAIT * 1000))
    outcomes = []
    try:
        for topic in TOPICS:
            try:
                producer.send(topic, key=b"matrix", value=principal.encode(), partition=1).get(WAIT)
                error = None
            except errors.KafkaError as exc:
                error = type(exc).__name__
            outcomes.append(Outcome(principal, "sigma-write", topic,
                                    grants(principal, "topic", topic, "write", planned), error))
    finally:
        producer.close()
    return outcomes


def test_sigma_producers_meet_the_same_refusals(matrix_cluster: KafkaCluster) -> None:
    planned = plan(Catalogue(), PREFIX)
    outcomes = [o for p in PRINCIPALS for o in _sigma_writes(matrix_cluster, p, planned)]
    assert [o for o in outcomes if not o.as_planned] == []
    writes = sum(grants(p, "topic", t, "write", planned) for p in OTHERS for t in TOPICS)
    assert sum(1 for o in outcomes if not o.allowed) == len(OTHERS) * len(TOPICS) - writes
