"""Entry point of ``sigma``: global flags, logging set up once, sub-commands registered, errors mapped.

Exit codes: 0 success, 1 failure (an operational error, or a negative verdict such as an incompatible
schema), 2 usage or input error. Expected errors print one line, ``sigma: error: <what>: <fix>``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

import typer

from runtime import __version__
from runtime.errors import SigmaError, UsageError
from runtime.settings import SaslMechanism, SecurityProtocol
from sigma import broker

app = typer.Typer(
    name="sigma",
    help="Sigma chain exchange: message book, simulated partners, record/replay and the completeness validator.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(broker.broker_app, name="broker")
app.add_typer(broker.topics_app, name="topics")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sigma {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    bootstrap_servers: str | None = typer.Option(
        None, "--bootstrap-servers", "-b",
        help="Use this Kafka cluster and start nothing (env SIGMA_BOOTSTRAP_SERVERS).",
    ),
    log_level: Literal["debug", "info", "warning", "error"] | None = typer.Option(
        None, "--log-level", help="Log level (env SIGMA_LOG_LEVEL, default info)."
    ),
    log_format: Literal["auto", "json", "console"] | None = typer.Option(
        None, "--log-format", help="auto: console on a terminal, JSON lines otherwise (env SIGMA_LOG_FORMAT)."
    ),
    principal: str | None = typer.Option(
        None, "--as", help="Act as this principal of the embedded broker (env SIGMA_PRINCIPAL, default admin)."
    ),
    insecure: bool = typer.Option(
        False, "--insecure", help="Plaintext without authentication, for local experiments (env SIGMA_INSECURE)."
    ),
    security_protocol: SecurityProtocol | None = typer.Option(
        None, "--security-protocol", help="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (env SIGMA_SECURITY_PROTOCOL)."
    ),
    sasl_mechanism: SaslMechanism | None = typer.Option(
        None, "--sasl-mechanism", help="SASL mechanism (env SIGMA_SASL_MECHANISM, default SCRAM-SHA-512)."
    ),
    sasl_username: str | None = typer.Option(None, "--sasl-username", help="SASL user (env SIGMA_SASL_USERNAME)."),
    sasl_password_file: Path | None = typer.Option(
        None, "--sasl-password-file", help="File with the SASL password (env SIGMA_SASL_PASSWORD_FILE; "
        "SIGMA_SASL_PASSWORD also works, there is no password flag so it never shows in ps)."
    ),
    ssl_cafile: Path | None = typer.Option(None, "--ssl-cafile", help="CA certificate, PEM (env SIGMA_SSL_CAFILE)."),
    ssl_certfile: Path | None = typer.Option(
        None, "--ssl-certfile", help="Client certificate, PEM (env SIGMA_SSL_CERTFILE)."
    ),
    ssl_keyfile: Path | None = typer.Option(None, "--ssl-keyfile", help="Client key, PEM (env SIGMA_SSL_KEYFILE)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Configure settings and logging once for the whole invocation."""
    from pydantic import ValidationError

    from runtime import logs
    from runtime.settings import load_settings

    try:
        settings = load_settings(
            bootstrap_servers=bootstrap_servers, log_level=log_level, log_format=log_format, principal=principal,
            insecure=insecure or None, security_protocol=security_protocol, sasl_mechanism=sasl_mechanism,
            sasl_username=sasl_username, sasl_password_file=sasl_password_file, ssl_cafile=ssl_cafile,
            ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
        )
    except ValidationError as exc:
        first = exc.errors(include_input=False)[0]
        field = "SIGMA_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise UsageError(f"invalid setting {field}: {first['msg']}", fix="correct the environment variable") from exc
    logs.configure(settings.log_level, settings.log_format)
    ctx.obj = settings


def _register() -> None:
    """Attach the command groups of the other rooms (each module exposes ``register(app)``)."""
    from sigma import commands

    commands.register(app)


def run() -> None:
    """Console-script entry: run the app and map expected errors to one line and an exit code.

    Typer handles usage errors itself (exit 2); ``SigmaError`` escapes it and is printed here.
    """
    _register()
    try:
        app()
    except SigmaError as exc:
        print(f"sigma: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("sigma: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":  # `python -m sigma.main` runs the CLI without the installed `sigma` script
    run()
