"""Entry point of ``sigma``: global flags, logging set up once, sub-commands registered, errors mapped.

Exit codes: 0 success, 1 failure (an operational error, or a negative verdict such as an incompatible
schema), 2 usage or input error. Expected errors print one line, ``sigma: error: <what>: <fix>``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal, NoReturn

import typer

from runtime import __version__
from runtime.errors import MissingTopicError, SigmaError, UsageError
from runtime.settings import SaslMechanism, SecurityProtocol, Settings
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
_settings: Settings | None = None
"""This invocation's settings, for naming the topic prefix in effect when a topic is missing."""


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

    from runtime import context, logs
    from runtime.settings import load_settings

    global _settings
    flags = {"bootstrap_servers": bootstrap_servers, "log_level": log_level, "log_format": log_format,
             "principal": principal, "insecure": insecure or None, "security_protocol": security_protocol,
             "sasl_mechanism": sasl_mechanism, "sasl_username": sasl_username,
             "sasl_password_file": sasl_password_file, "ssl_cafile": ssl_cafile, "ssl_certfile": ssl_certfile,
             "ssl_keyfile": ssl_keyfile}
    try:
        settings = load_settings(**flags)
    except ValidationError as exc:
        first = exc.errors(include_input=False)[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        reason = first["msg"].removeprefix("Value error, ")
        if flags.get(name) is not None:
            raise UsageError(f"invalid --{name.replace('_', '-')}: {reason}", fix="see `sigma --help`") from None
        field = f"SIGMA_{name.upper()}" if name else "settings"
        raise UsageError(f"invalid setting {field}: {reason}", fix="correct the environment variable") from None
    logs.configure(settings.log_level, settings.log_format)
    ctx.obj = _settings = context.apply(settings)


def _register() -> None:
    """Attach the command groups of the other rooms (each module exposes ``register(app)``)."""
    from sigma import commands

    commands.register(app)


_CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
"""The base of click's usage errors (no such option, invalid value…). Found from the class typer exports,
because newer typer releases vendor click instead of depending on it."""


def _click_error(exc: Exception) -> tuple[str, int]:
    """One line for a usage error click raised: what it says and where the command's help is."""
    what = exc.format_message().strip().rstrip(".")  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "sigma"
    return f"{what}: see `{command} --help`", int(exc.exit_code)  # type: ignore[attr-defined]


def run() -> None:
    """Console-script entry: run the app and map expected errors to one line and an exit code.

    Typer runs in non-standalone mode so that click's usage errors come here too and are printed as one
    line, like ``SigmaError``. An ``OSError`` naming a file (a path sigma was given or derived from a
    setting) is an input problem rather than a bug, so it is one line as well; any other exception is a
    bug and shows its traceback.
    """
    from runtime import interrupt

    _register()
    interrupt.stop_on_sigterm()
    interrupt.stacks_on_sigusr1()
    try:
        code = app(standalone_mode=False)
    except SigmaError as exc:
        if isinstance(exc, MissingTopicError) and _settings is not None:
            from runtime import context

            exc.where = context.describe(_settings)
        _fail(str(exc), exc.exit_code)
    except _CLICK_ERROR as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # the help is printed already; typer tests the same way
            sys.exit(int(exc.exit_code))  # type: ignore[attr-defined]
        _fail(*_click_error(exc))
    except OSError as exc:
        if exc.filename is None:
            raise
        _fail(f"{exc.filename}: {exc.strerror}", fix="check the path, its folders and their permissions")
    except KeyboardInterrupt as exc:  # outside a command (typer turns one inside into exit code 130)
        print("sigma: interrupted", file=sys.stderr)
        sys.exit(interrupt.exit_code(exc))
    sys.exit(interrupt.exit_code_of(code if isinstance(code, int) else 0))


def _fail(message: str, exit_code: int = 1, fix: str | None = None) -> NoReturn:
    print(f"sigma: error: {message}" + (f": {fix}" if fix else ""), file=sys.stderr)
    sys.exit(exit_code)


if __name__ == "__main__":  # `python -m sigma.main` runs the CLI without the installed `sigma` script
    run()
