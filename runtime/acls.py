"""The broker's ACLs as plain entries: read them (DescribeAcls), add the missing, remove the extra.

Why plain entries: the plan is computed from the message book above this floor; here only Kafka's
vocabulary is translated, so ``sigma acl apply`` and ``sigma acl check`` compare like with like.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import NamedTuple

from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
)
from kafka.errors import KafkaError

from runtime import clients
from runtime.errors import SigmaError
from runtime.settings import Settings


class AclEntry(NamedTuple):
    """An ALLOW entry for one principal (``User:`` left out), from any host, in Kafka's names in lower case
    (resource ``topic``/``group``, pattern ``literal``/``prefixed``, operation ``read``/``write``…)."""

    principal: str
    resource: str
    name: str
    pattern: str
    operation: str


def _to_kafka(entry: AclEntry) -> ACL:
    pattern = ResourcePattern(ResourceType[entry.resource.upper()], entry.name,
                              ACLResourcePatternType[entry.pattern.upper()])
    return ACL(f"User:{entry.principal}", "*", ACLOperation[entry.operation.upper()], ACLPermissionType.ALLOW,
               pattern)


def _from_kafka(acl: ACL) -> AclEntry | None:
    """The entry of an ALLOW ACL from any host; None for others (DENY or host-bound ones are not planned here)."""
    if acl.permission_type != ACLPermissionType.ALLOW or acl.host != "*":
        return None
    found = acl.resource_pattern
    return AclEntry(acl.principal.removeprefix("User:"), found.resource_type.name.lower(), found.resource_name,
                    found.pattern_type.name.lower(), acl.operation.name.lower())


def live(settings: Settings) -> set[AclEntry]:
    """Every ACL on the cluster (DescribeAcls with a match-all filter)."""
    admin = clients.admin(settings)
    try:
        everything = ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY,
                               ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY))
        acls, _ = admin.describe_acls(everything)  # a refusal is raised, not returned
    except KafkaError as exc:
        raise SigmaError(f"the cluster refused to list its ACLs ({type(exc).__name__})",
                         fix="run as admin (the default principal) on a cluster with an authorizer") from exc
    finally:
        admin.close()
    return {entry for acl in acls if (entry := _from_kafka(acl)) is not None}


def apply(settings: Settings, planned: Iterable[AclEntry], in_scope: Callable[[AclEntry], bool]) -> tuple[
        set[AclEntry], set[AclEntry]]:
    """Create the planned entries that are missing and delete the live ones in scope that are not planned;
    returns (added, removed)."""
    want = set(planned)
    have = {e for e in live(settings) if in_scope(e)}
    added, removed = want - have, have - want
    admin = clients.admin(settings)
    try:
        if added:
            result = admin.create_acls([_to_kafka(e) for e in sorted(added)])
            if result.get("failed"):
                raise SigmaError(f"the cluster refused {len(result['failed'])} ACLs", fix="run as admin")
        if removed:
            admin.delete_acls([_to_kafka(e) for e in sorted(removed)])
    finally:
        admin.close()
    _settled(settings, want, in_scope)
    return added, removed


def _settled(settings: Settings, want: set[AclEntry], in_scope: Callable[[AclEntry], bool]) -> None:
    """Wait until DescribeAcls shows the change: the controller acknowledges CreateAcls and DeleteAcls before
    the broker's authorizer has them, so a check (or a client) right after would still see the old ACLs."""
    deadline = time.monotonic() + settings.connect_timeout
    while {e for e in live(settings) if in_scope(e)} != want:
        if time.monotonic() > deadline:
            raise SigmaError(f"the broker's ACLs did not match the plan {settings.connect_timeout:g} s after the "
                             "change", fix="run `sigma acl check` to see the difference, then apply again")
        time.sleep(0.1)
