"""``sigma context``: show, set and clear the topic prefix that commands use when none is given."""

from __future__ import annotations

import typer

from sigma.context import settings as get_settings

context_app = typer.Typer(
    help="The current context: the topic prefix every command uses unless SIGMA_TOPIC_PREFIX says otherwise "
    "(make demo sets it to its run's prefix).")


@context_app.callback(invoke_without_command=True)
def show(ctx: typer.Context) -> None:
    """Show the context file, what it holds and the topic prefix in effect (without a sub-command)."""
    from runtime import context

    if ctx.invoked_subcommand is not None:
        return
    settings = get_settings(ctx)
    stored = context.load(settings)
    file = context.path(settings)
    if stored is None:
        typer.echo(f"context file: {file} (none)")
    else:
        typer.echo(f"context file: {file} (topic prefix {stored.topic_prefix!r}, set by {stored.set_by} "
                   f"at {stored.set_at})")
    typer.echo(f"in effect: {context.describe(settings)}")


@context_app.command("set")
def set_context(
    ctx: typer.Context,
    topic_prefix: str = typer.Option(..., "--topic-prefix", help="The prefix the next commands use, e.g. 'demo-1.'."),
    set_by: str = typer.Option("sigma context set", "--set-by", help="Who set it (shown by `sigma context`)."),
) -> None:
    """Make the next commands use this topic prefix (unless SIGMA_TOPIC_PREFIX is set)."""
    from runtime import context

    stored = context.save(get_settings(ctx), topic_prefix, set_by)
    typer.echo(f"context: topic prefix {stored.topic_prefix!r} (in {context.path(get_settings(ctx))})")


@context_app.command("clear")
def clear_context(ctx: typer.Context) -> None:
    """Remove the context file: commands use SIGMA_TOPIC_PREFIX or no prefix again."""
    from runtime import context

    removed = context.clear(get_settings(ctx))
    typer.echo("context cleared" if removed else "no context to clear")


def register(app: typer.Typer) -> None:
    """Attach the ``context`` group."""
    app.add_typer(context_app, name="context")
