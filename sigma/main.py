"""Entry point of ``sigma``: global flags, logging set up once, sub-commands registered, errors mapped.

Exit codes: 0 success, 1 failure (an operational error, or a negative verdict such as an incompatible
schema), 2 usage or input error. Expected errors print one line, ``sigma: error: <what>: <fix>``.
"""

from __future__ import annotations

import sys
from typing import Literal

import typer

from runtime import __version__
from runtime.errors import MissingTopicError, SigmaError, UsageError
from runtime.settings import Settings
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
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Configure settings and logging once for the whole invocation."""
    from pydantic import ValidationError

    from runtime import context, logs
    from runtime.settings import load_settings

    global _settings
    try:
        settings = load_settings(bootstrap_servers=bootstrap_servers, log_level=log_level, log_format=log_format)
    except ValidationError as exc:
        first = exc.errors(include_input=False)[0]
        field = "SIGMA_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise UsageError(f"invalid setting {field}: {first['msg']}", fix="correct the environment variable") from exc
    logs.configure(settings.log_level, settings.log_format)
    ctx.obj = _settings = context.apply(settings)


def _register() -> None:
    """Attach the command groups of the other rooms (each module exposes ``register(app)``)."""
    from sigma import commands

    commands.register(app)


def run() -> None:
    """Console-script entry: run the app and map expected errors to one line and an exit code.

    Typer handles usage errors itself (exit 2); ``SigmaError`` escapes it and is printed here.
    """
    from runtime import interrupt

    _register()
    interrupt.stop_on_sigterm()
    try:
        app()
    except SigmaError as exc:
        if isinstance(exc, MissingTopicError) and _settings is not None:
            from runtime import context

            exc.where = context.describe(_settings)
        print(f"sigma: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        print("sigma: terminated" if isinstance(exc, interrupt.Terminated) else "sigma: interrupted", file=sys.stderr)
        sys.exit(interrupt.exit_code(exc))


if __name__ == "__main__":  # `python -m sigma.main` runs the CLI without the installed `sigma` script
    run()
