"""``sigma credentials``: the client configuration a partner system needs to reach the embedded broker."""

from __future__ import annotations

import json
from typing import Literal

import typer

from runtime.broker.secrets import BrokerSecrets
from runtime.errors import SigmaError
from runtime.settings import Settings
from sigma.context import settings as get_settings


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
    """Attach ``credentials`` to the root app."""
    app.command("credentials")(credentials)
