"""ACLs derived from the message book, applied to and checked against a real secured broker."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from runtime.topics import apply_topics
from schemas.access import GRANT_FIX, VALIDATOR_TRANSACTIONS, plan
from schemas.catalogue import Catalogue
from schemas.codec import AvroSerializer
from schemas.envelope import Record, to_record
from schemas.events import Belongings, Partner
from schemas.examples import example
from schemas.topics import ALL_TOPICS, HANDOVER
from tests.clirunner import sigma
from tests.conftest import KafkaCluster
from tests.forged import on_topic

pytestmark = pytest.mark.kafka
NO_CLUSTER = ("SIGMA_BOOTSTRAP_SERVERS",)
BELONGINGS = Belongings.topic_of(Partner.COA)
"""COA's belongings topic (DT&V and DJI have their own)."""


def test_apply_makes_the_broker_match_the_plan_and_check_finds_an_acl_removed_by_hand(
    secured_cluster: KafkaCluster, unique_name: Callable[[str], str]
) -> None:
    assert secured_cluster.broker is not None
    prefix = unique_name("acl") + "."
    apply_topics(secured_cluster.settings(), [t.prefixed(prefix) for t in ALL_TOPICS])
    env = {"SIGMA_HOME": str(secured_cluster.broker.data_dir.parent),
           "SIGMA_BROKER_PORT": str(secured_cluster.broker.port), "SIGMA_TOPIC_PREFIX": prefix}
    before = sigma("acl", "check", env=env, drop=NO_CLUSTER)
    assert before.returncode == 1 and "missing  coa write topic " + prefix + BELONGINGS in before.stdout
    applied = sigma("acl", "apply", env=env, drop=NO_CLUSTER)
    assert applied.returncode == 0, applied.stderr
    planned = plan(Catalogue(), prefix)
    assert applied.stdout.endswith(" added, 0 removed\n")  # group grants may exist from another sandbox
    assert f"added    coa write topic {prefix}{BELONGINGS} (literal)" in applied.stdout
    passed = sigma("acl", "check", env=env, drop=NO_CLUSTER)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert f"match the plan ({len(planned)} entries)" in passed.stdout

    admin = AdminClient(secured_cluster.librdkafka())  # by hand, with an independent client
    binding = AclBindingFilter(ResourceType.TOPIC, prefix + BELONGINGS, ResourcePatternType.LITERAL, "User:coa", "*",
                         AclOperation.WRITE, AclPermissionType.ALLOW)
    for future in admin.delete_acls([binding]).values():
        assert len(future.result(30)) == 1
    failed = sigma("acl", "check", env=env, drop=NO_CLUSTER)
    assert failed.returncode == 1
    assert failed.stdout.strip() == f"missing  coa write topic {prefix}{BELONGINGS} (literal)"

    extra = AclBinding(ResourceType.TOPIC, prefix + BELONGINGS, ResourcePatternType.LITERAL, "User:medical", "*",
                       AclOperation.READ, AclPermissionType.ALLOW)
    for future in admin.create_acls([extra]).values():
        future.result(30)
    repaired = sigma("acl", "apply", env=env, drop=NO_CLUSTER)
    assert repaired.returncode == 0 and "1 added, 1 removed" in repaired.stdout
    assert f"removed  medical read topic {prefix}{BELONGINGS}" in repaired.stdout
    assert sigma("acl", "check", env=env, drop=NO_CLUSTER).returncode == 0


def _granted(cluster: KafkaCluster, prefix: str) -> tuple[str, dict[str, str]]:
    """The chain's topics under ``prefix`` with the plan's ACLs, and the CLI's environment for them (each
    command acting as its own principal)."""
    assert cluster.broker is not None
    apply_topics(cluster.settings(), [t.prefixed(prefix) for t in ALL_TOPICS])
    env = {"SIGMA_HOME": str(cluster.broker.data_dir.parent), "SIGMA_BROKER_PORT": str(cluster.broker.port),
           "SIGMA_TOPIC_PREFIX": prefix}
    assert sigma("acl", "apply", env=env, drop=NO_CLUSTER).returncode == 0
    return prefix, env


def test_the_demo_acts_as_each_principal_so_the_plan_alone_decides(
    secured_cluster: KafkaCluster, unique_name: Callable[[str], str]
) -> None:
    """Under the plan alone, simulate (each partner as itself) delivers everything and validate (as the
    validator) processes it; without its transactional ids' grant the validator stops with one line naming
    `sigma acl apply`; without IND's write grant on the handover topic exactly its 20 handovers are
    refused, which would not happen if the simulator sent as admin."""
    prefix, env = _granted(secured_cluster, unique_name("acting") + ".")
    simulated = sigma("simulate", "--cases", "20", "--seed", "7", env=env, drop=NO_CLUSTER)
    assert simulated.returncode == 0, simulated.stderr
    validated = sigma("validate", "--to-end", "--group", unique_name("group"), env=env, drop=NO_CLUSTER)
    assert validated.returncode == 0, validated.stderr
    assert " + 0 dead-lettered" in validated.stdout
    wall = sigma("validate", "--to-end", "--event-clock", "wall", "--group", unique_name("group"), env=env,
                 drop=NO_CLUSTER)  # the validator may read the chain topics' configs: they stamp the append time
    assert wall.returncode == 0, wall.stderr

    admin = AdminClient(secured_cluster.librdkafka())
    transactions = AclBindingFilter(ResourceType.TRANSACTIONAL_ID, VALIDATOR_TRANSACTIONS + prefix,
                                    ResourcePatternType.PREFIXED, "User:validator", "*", AclOperation.WRITE,
                                    AclPermissionType.ALLOW)
    for future in admin.delete_acls([transactions]).values():
        assert len(future.result(30)) == 1
    unauthorized = sigma("validate", "--to-end", "--group", unique_name("group"), env=env, drop=NO_CLUSTER)
    assert unauthorized.returncode == 1
    assert unauthorized.stderr == ("sigma: error: the cluster refused the validator (TransactionalIdAuthorization"
                                   f"FailedError): {GRANT_FIX}\n")
    binding = AclBindingFilter(ResourceType.TOPIC, prefix + HANDOVER, ResourcePatternType.LITERAL, "User:ind", "*",
                               AclOperation.WRITE, AclPermissionType.ALLOW)
    for future in admin.delete_acls([binding]).values():
        assert len(future.result(30)) == 1
    refused = sigma("simulate", "--cases", "20", "--seed", "7", env=env, drop=NO_CLUSTER)
    assert refused.returncode == 1 and refused.stderr.startswith("sigma: error: 20 of ")
    assert refused.stderr.endswith(f"were not delivered (TopicAuthorizationFailedError: {prefix}{HANDOVER}): grant "
                                   "the message book's ACLs with `sigma acl apply` (same SIGMA_TOPIC_PREFIX)\n")



def _sent(config: dict[str, str], record: Record) -> KafkaError | None:
    """Send ``record`` with confluent-kafka (an independent client, Java's partitioner); its delivery error."""
    outcome: list[KafkaError | None] = []
    producer = Producer({**config, "partitioner": "murmur2_random", "message.timeout.ms": "15000"})
    producer.produce(record.topic, key=record.key, value=record.value, headers=record.headers,
                     on_delivery=lambda error, _: outcome.append(error))
    assert producer.flush(30) == 0
    [error] = outcome
    return error


def test_a_partners_forged_event_in_another_partners_name_never_counts(
    secured_cluster: KafkaCluster, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    """COA cannot write DT&V's topic (the broker refuses it); on its own topic, an event whose payload or
    ``ce_source`` names DT&V is dead-lettered as ``source-mismatch`` and the report is as without it."""
    prefix, env = _granted(secured_cluster, unique_name("forged") + ".")
    assert sigma("simulate", "--cases", "30", "--seed", "7", env=env, drop=NO_CLUSTER).returncode == 0

    def report(name: str) -> dict[str, Any]:
        out = tmp_path / f"{name}.json"
        run = sigma("validate", "--to-end", "--group", unique_name(name), "--report-json", str(out), "-q",
                    env=env, drop=NO_CLUSTER)
        assert run.returncode == 0, run.stderr
        return dict(json.loads(out.read_text()))

    honest = report("honest")
    case = honest["cases"][0]["case"]  # a checked case, so a forged record could change its verdict
    in_dtvs_name = example(Belongings).model_copy(update={
        "case_key": case, "partner": Partner.DTV, "event_id": "00000000-0000-4000-8000-00000000f001"})
    coa = secured_cluster.librdkafka("coa")

    refused = _sent(coa, to_record(in_dtvs_name, AvroSerializer(), prefix=prefix))  # DT&V's own topic
    assert to_record(in_dtvs_name, AvroSerializer(), prefix=prefix).topic == prefix + "chain.dtv.belongings"
    assert refused is not None and refused.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED

    own_topic = prefix + Belongings.topic_of(Partner.COA)
    in_coas_name = in_dtvs_name.model_copy(update={"partner": Partner.COA,
                                                   "event_id": "00000000-0000-4000-8000-00000000f002"})
    assert _sent(coa, on_topic(own_topic, in_dtvs_name)) is None  # the broker lets COA write its topic ...
    assert _sent(coa, on_topic(own_topic, in_coas_name, source=b"/nl/dtv/sigma")) is None

    forged = report("forged")  # ... and the validator refuses to count either
    assert forged["dead_letters"] == {**honest["dead_letters"], "source-mismatch": 2}
    assert forged["records"] == {**honest["records"], "consumed": honest["records"]["consumed"] + 2,
                                 "dead_lettered": honest["records"]["dead_lettered"] + 2}
    for changed in ("dead_letters", "records"):
        del honest[changed], forged[changed]
    assert forged == honest
