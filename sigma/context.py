"""Per-invocation state shared by all commands: the settings built from env and global flags."""

from __future__ import annotations

import typer

from runtime.settings import Settings


def settings(ctx: typer.Context) -> Settings:
    """The settings of this invocation (created by the root callback)."""
    root = ctx.find_root()
    value = root.obj
    if not isinstance(value, Settings):
        raise RuntimeError("settings not initialised: the root callback did not run")
    return value


def settings_as(ctx: typer.Context, principal: str) -> Settings:
    """The settings of this invocation for a command that acts as ``principal`` (``runtime.security.acting_as``)."""
    from runtime.security import acting_as

    return acting_as(settings(ctx), principal)

