"""ACLs derived from the message book, applied to and checked against a real secured broker."""

from __future__ import annotations

from collections.abc import Callable

import pytest
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
from schemas.topics import ALL_TOPICS, BELONGINGS, HANDOVER
from tests.clirunner import sigma
from tests.conftest import KafkaCluster

pytestmark = pytest.mark.kafka
NO_CLUSTER = ("SIGMA_BOOTSTRAP_SERVERS",)


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


def test_the_demo_acts_as_each_principal_so_the_plan_alone_decides(
    secured_cluster: KafkaCluster, unique_name: Callable[[str], str]
) -> None:
    """Under the plan alone, simulate (each partner as itself) delivers everything and validate (as the
    validator) processes it; without its transactional ids' grant the validator stops with one line naming
    `sigma acl apply`; without IND's write grant on the handover topic exactly its 20 handovers are
    refused, which would not happen if the simulator sent as admin."""
    assert secured_cluster.broker is not None
    prefix = unique_name("acting") + "."
    apply_topics(secured_cluster.settings(), [t.prefixed(prefix) for t in ALL_TOPICS])
    env = {"SIGMA_HOME": str(secured_cluster.broker.data_dir.parent),
           "SIGMA_BROKER_PORT": str(secured_cluster.broker.port), "SIGMA_TOPIC_PREFIX": prefix}
    assert sigma("acl", "apply", env=env, drop=NO_CLUSTER).returncode == 0
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

