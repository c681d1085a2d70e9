"""Create the chain's topics idempotently: missing topics are created, existing ones are reported.

Existing topics are never changed: a partition count or a config that differs from the plan is reported
in the result's note (an operator decides whether to alter a live topic, e.g. its retention).

New topics are replicated as the cluster allows (``replication``): on one broker once, on three or more
brokers three times with ``min.insync.replicas=2``, so that with the producers' ``acks=all`` an acknowledged
record is on two brokers and one broker may fail without losing it or stopping the chain. The same code thus
serves the single embedded broker, a three-node embedded cluster and an existing cluster.

Kept apart from the topic plan (``schemas.topics``) so the plan stays free of Kafka clients.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from runtime import clients
from runtime.errors import SigmaError
from runtime.settings import Settings


class TopicLike(Protocol):
    """Anything that describes a topic (``schemas.topics.TopicSpec`` does)."""

    @property
    def name(self) -> str: ...
    @property
    def partitions(self) -> int: ...
    @property
    def config(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class Replication:
    """How a new topic is replicated on a cluster of a given size."""

    factor: int
    min_insync: int | None
    """``min.insync.replicas`` set on the topic; None keeps the broker's (Kafka's default: 1)."""

    def configs(self) -> dict[str, str]:
        """The topic configs this adds to the plan's."""
        return {} if self.min_insync is None else {"min.insync.replicas": str(self.min_insync)}


def replication(brokers: int) -> Replication:
    """Replication factor min(3, brokers); ``min.insync.replicas=2`` from three brokers on (with two, it would
    stop every write while one broker is down, which is what replication is meant to survive)."""
    return Replication(max(1, min(3, brokers)), 2 if brokers >= 3 else None)


@dataclass(frozen=True)
class TopicResult:
    """What happened to one topic."""

    name: str
    action: Literal["created", "exists"]
    partitions: int
    note: str = ""


def apply_topics(settings: Settings, specs: Iterable[TopicLike], attempts: int = 20) -> list[TopicResult]:
    """Create every missing topic; report the existing ones (and where they differ from the plan)."""
    wanted = list(specs)
    names = [s.name for s in wanted]
    admin = clients.admin(settings)
    try:
        existing = _partition_counts(admin, names)
        missing = [s for s in wanted if s.name not in existing]
        drift = _config_drift(admin, [s for s in wanted if s.name in existing and s.config])
        if missing:
            _create(admin, missing, replication(_broker_count(admin)), attempts)
            existing = _await_visible(admin, names, attempts)
    finally:
        admin.close()
    created = {s.name for s in missing}
    return [
        TopicResult(
            s.name,
            "created" if s.name in created else "exists",
            existing[s.name],
            _note(s, existing[s.name], drift.get(s.name, [])),
        )
        for s in wanted
    ]


def _note(spec: TopicLike, partitions: int, config_drift: list[str]) -> str:
    """Where an existing topic differs from the plan ("" when it does not)."""
    mismatch = [] if partitions == spec.partitions else [f"has {partitions} partitions, plan says {spec.partitions}"]
    return "; ".join(mismatch + config_drift)


def _broker_count(admin: KafkaAdminClient) -> int:
    """The number of brokers the cluster has now (fenced ones, such as a node still starting, not counted)."""
    return sum(1 for b in admin.describe_cluster()["brokers"] if not b.get("is_fenced"))


def _create(admin: KafkaAdminClient, specs: list[TopicLike], copies: Replication, attempts: int) -> None:
    """Create topics, retrying retriable errors (a broker that has just started may not be ready)."""
    pending = {s.name: s for s in specs}
    last_error = ""
    for _ in range(attempts):
        result = admin.create_topics(
            [NewTopic(s.name, s.partitions, copies.factor, topic_configs={**copies.configs(), **s.config})
             for s in pending.values()],
            raise_errors=False,
        )
        failed: dict[str, TopicLike] = {}
        for topic in result["topics"]:
            code = topic["error_code"]
            if code in (0, TopicAlreadyExistsError.errno):
                continue
            error = for_code(code)
            if not error.retriable:
                raise SigmaError(f"cannot create topic {topic['name']}: {error.__name__}",
                                 fix="check the topic plan and the broker's configuration")
            failed[topic["name"]] = pending[topic["name"]]
            last_error = error.__name__
        if not failed:
            return
        pending = failed
        time.sleep(0.5)
    raise SigmaError(f"topics not created: {', '.join(pending)} ({last_error})",
                     fix="check the broker log and retry `sigma topics apply`")


def _await_visible(admin: KafkaAdminClient, names: list[str], attempts: int) -> dict[str, int]:
    """Partition counts once every topic is visible in metadata (creation is asynchronous)."""
    for _ in range(attempts):
        counts = _partition_counts(admin, names)
        if all(name in counts for name in names):
            return counts
        time.sleep(0.25)
    absent = [n for n in names if n not in counts]
    raise SigmaError(f"topics created but not visible: {', '.join(absent)}", fix="check the broker log and retry")


def _config_drift(admin: KafkaAdminClient, specs: list[TopicLike]) -> dict[str, list[str]]:
    """Per existing topic, the planned configs it does not have (as "key is X, plan says Y")."""
    if not specs:
        return {}
    resources = [ConfigResource(ConfigResourceType.TOPIC, s.name, configs=dict.fromkeys(s.config)) for s in specs]
    try:
        described = admin.describe_configs(resources, config_filter="all").get("topic", {})
    except KafkaError as exc:  # e.g. no DescribeConfigs permission: say so, do not fail the apply
        return {s.name: [f"configs not checked ({type(exc).__name__})"] for s in specs}
    drift: dict[str, list[str]] = {}
    for spec in specs:
        actual = described.get(spec.name, {})
        for key, planned in spec.config.items():
            value = actual.get(key, {}).get("value")
            if value != planned:
                drift.setdefault(spec.name, []).append(f"{key} is {value}, plan says {planned}")
    return drift


def timestamp_types(settings: Settings, names: Iterable[str]) -> dict[str, str | None]:
    """``message.timestamp.type`` of each existing topic among ``names`` (``CreateTime`` or ``LogAppendTime``);
    None for one whose configs the cluster would not describe (e.g. no DescribeConfigs permission)."""
    admin = clients.admin(settings)
    try:
        listed = set(admin.list_topics())
        present = [n for n in names if n in listed]
        if not present:
            return {}
        key = "message.timestamp.type"
        resources = [ConfigResource(ConfigResourceType.TOPIC, n, configs={key: None}) for n in present]
        try:
            described = admin.describe_configs(resources, config_filter="all").get("topic", {})
        except KafkaError:
            return dict.fromkeys(present)
    finally:
        admin.close()
    return {n: described.get(n, {}).get(key, {}).get("value") for n in present}


def _partition_counts(admin: KafkaAdminClient, names: list[str]) -> dict[str, int]:
    """Partition count per existing topic among ``names``."""
    listed = set(admin.list_topics())
    present = [n for n in names if n in listed]
    if not present:
        return {}
    return {d["name"]: len(d["partitions"]) for d in admin.describe_topics(present) if not d["error_code"]}


def under_prefixes(existing: Iterable[str], planned: Iterable[str], patterns: Iterable[str],
                   stems: Iterable[str] = ()) -> dict[str, list[str]]:
    """Per matching prefix, the planned topics that exist under it (sorted). A pattern is a prefix, or with a
    trailing ``*`` every prefix that starts with what precedes it (``demo-*``); only planned topic names are
    ever matched, so a topic of another application under the same prefix is never touched. ``stems``: planned
    name beginnings whose end varies (a validator group's changelog, ``chain.validation.changelog.<group>``)."""
    wanted = list(patterns)
    bases = list(planned)
    starts = list(stems)
    found: dict[str, list[str]] = {}
    for topic in sorted(existing):
        prefixes = [topic[: topic.index(stem)] for stem in starts if stem in topic]  # first: a group may end
        prefixes += [topic[: -len(base)] for base in bases if topic.endswith(base)]  # like a planned name
        for prefix in prefixes[:1]:
            if any(prefix.startswith(p[:-1]) if p.endswith("*") else prefix == p for p in wanted):
                found.setdefault(prefix, []).append(topic)
    return found


def existing_topics(settings: Settings) -> list[str]:
    """The names of the topics on the cluster (internal ones included)."""
    admin = clients.admin(settings)
    try:
        return list(admin.list_topics())
    finally:
        admin.close()


def delete_topics(settings: Settings, names: list[str]) -> None:
    """Delete ``names``; any topic the cluster refuses to delete is an error naming it and why."""
    admin = clients.admin(settings)
    try:
        result = admin.delete_topics(names, timeout_ms=30_000, raise_errors=False)
    finally:
        admin.close()
    failed = [f"{t['name']} ({for_code(t['error_code']).__name__})" for t in result["topics"] if t["error_code"]]
    if failed:
        raise SigmaError(f"topics not deleted: {', '.join(failed)}",
                         fix="check the broker log and the client's permissions (DeleteTopics), then retry")
