"""``sigma credentials``: the client configuration a partner system needs to reach the embedded broker;
``sigma acl plan|apply|check``: the broker's ACLs, derived from the message book."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import typer
from rich.console import Console
from rich.table import Table

from runtime.broker.secrets import BrokerSecrets
from runtime.errors import SigmaError
from runtime.settings import Settings
from sigma.context import settings as get_settings

if TYPE_CHECKING:
    from runtime.acls import AclEntry


def credentials(
    ctx: typer.Context,
    principal: str = typer.Argument(..., help="The principal (a partner, validator, tools or admin)."),
    output: Literal["json", "properties"] = typer.Option(
        "properties", "--format", help="properties: Java client properties (librdkafka, .NET and Go read the same "
        "names); json: the same as one object."
    ),
    rotate: bool = typer.Option(False, "--rotate", help="Give PRINCIPAL a new password first (as admin)."),
) -> None:
    """Print bootstrap, protocol, mechanism, user, password and CA path for PRINCIPAL on the embedded broker.

    The password goes to standard output only, never to a log; write it to a file only its owner can read.
    """
    from runtime.security import client_security, embedded_secrets

    s = get_settings(ctx)
    store = embedded_secrets(s)
    if store is None:
        where = "an existing cluster's credentials are its operators'" if s.external else (
            f"the embedded broker in {s.broker_data_dir()} is not secured (never started, or started --insecure)")
        raise SigmaError(f"no credentials to print: {where}",
                         fix="start the embedded broker without --insecure (`sigma broker start`)")
    if rotate:
        _rotate(s, store, principal)
    security = client_security(s.model_copy(update={"principal": principal, "sasl_username": None,
                                                    "sasl_password": None, "sasl_password_file": None}))
    config = {"bootstrap.servers": s.bootstrap, **security.properties()}
    if output == "json":
        typer.echo(json.dumps(config, indent=2))
    else:
        typer.echo("\n".join(f"{key}={value}" for key, value in config.items()))


def _rotate(s: Settings, store: BrokerSecrets, principal: str) -> None:
    """Give the principal a new SCRAM credential on the broker (as admin), then record it in the data folder."""
    import secrets

    from kafka.admin import UserScramCredentialUpsertion
    from pydantic import SecretStr

    from runtime import clients
    from runtime.broker.secrets import ADMIN, SCRAM_MECHANISM

    store.password(principal)  # an unknown principal is an error before anything changes
    new = SecretStr(secrets.token_urlsafe(24))
    admin = clients.admin(s.model_copy(update={"principal": ADMIN}))
    try:
        errors = admin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(principal, SCRAM_MECHANISM, new.get_secret_value())])
    finally:
        admin.close()
    if errors.get(principal):
        raise SigmaError(f"the broker refused the new password of {principal!r}: {errors[principal]}",
                         fix="check that admin's password in the broker's data folder is current")
    store.set_password(principal, new)


def register(app: typer.Typer) -> None:
    """Attach ``credentials`` and the ``acl`` group to the root app."""
    app.command("credentials")(credentials)
    app.add_typer(acl_app, name="acl")


acl_app = typer.Typer(help="The broker's ACLs, derived from the message book.", no_args_is_help=True)


def _planned(s: Settings) -> list[AclEntry]:
    from runtime.acls import AclEntry
    from schemas.access import plan
    from schemas.catalogue import Catalogue

    return sorted(AclEntry(*grant) for grant in plan(Catalogue(), s.topic_prefix))


def _in_scope(s: Settings) -> Callable[[AclEntry], bool]:
    """Live entries the plan speaks for: the sigma principals on groups, on this prefix's chain topics and
    changelogs, and on its validator transactional ids (ACLs of other sandboxes and other principals are left
    alone)."""
    from schemas.access import PRINCIPALS, VALIDATOR_TRANSACTIONS
    from schemas.topics import ALL_TOPICS, CHANGELOGS

    topics = {s.topic_prefix + t.name for t in ALL_TOPICS} | {s.topic_prefix + CHANGELOGS}
    transactional = VALIDATOR_TRANSACTIONS + s.topic_prefix
    return lambda e: e.principal in PRINCIPALS and (
        e.resource == "group" or (e.resource == "topic" and e.name in topics)
        or (e.resource == "transactional_id" and e.name == transactional))


@acl_app.command("plan")
def acl_plan(ctx: typer.Context, output: Literal["table", "json"] = typer.Option("table", "--format")) -> None:
    """Per principal, what it may read and write (admin is a super user and needs no ACL); the JSON also lists
    the topics it may create and whose configs it may read (``describe_configs``), and its transactional ids."""
    from schemas.access import wider_than_the_book
    from schemas.catalogue import Catalogue

    planned = _planned(get_settings(ctx))
    by_principal: dict[str, dict[str, list[str]]] = {}
    for e in planned:
        key = e.operation if e.resource == "topic" else "groups" if e.resource == "group" else "transactional_ids"
        by_principal.setdefault(e.principal, {"read": [], "write": [], "groups": []}).setdefault(key, []).append(
            e.name + ("*" if e.pattern == "prefixed" else ""))
    if output == "json":
        typer.echo(json.dumps({"principals": by_principal, "wider_than_the_book": wider_than_the_book(Catalogue())},
                              indent=2))
        return
    table = Table("principal", "reads", "writes", "consumer groups")
    for principal, access in by_principal.items():
        table.add_row(principal, "\n".join(access["read"]), "\n".join(access["write"]), ", ".join(access["groups"]))
    Console().print(table)


@acl_app.command("apply")
def acl_apply(ctx: typer.Context) -> None:
    """Make the broker's ACLs match the plan: add what is missing, remove what the plan does not grant."""
    from runtime.acls import apply

    s = get_settings(ctx)
    added, removed = apply(s, _planned(s), _in_scope(s))
    for verb, entries in (("added", added), ("removed", removed)):
        for e in sorted(entries):
            typer.echo(f"{verb:8} {e.principal} {e.operation} {e.resource} {e.name} ({e.pattern})")
    typer.echo(f"{len(added)} added, {len(removed)} removed")


@acl_app.command("check")
def acl_check(ctx: typer.Context) -> None:
    """Compare the broker's live ACLs (DescribeAcls) with the plan; exit 1 on any difference."""
    from runtime.acls import live

    s = get_settings(ctx)
    planned = set(_planned(s))
    have = {e for e in live(s) if _in_scope(s)(e)}
    for label, entries in (("missing", planned - have), ("extra", have - planned)):
        for e in sorted(entries):
            typer.echo(f"{label:8} {e.principal} {e.operation} {e.resource} {e.name} ({e.pattern})")
    if planned != have:
        raise typer.Exit(1)
    typer.echo(f"the broker's ACLs match the plan ({len(planned)} entries)")
