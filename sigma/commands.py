"""Auto-registration of command modules contributed by the project's rooms.

Every ``sigma/cmd_<name>.py`` exposes ``register(app: typer.Typer) -> None``. Discovery by name lets
each room add commands without editing ``main.py``; shared groups live in ``sigma.groups``.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

import sigma
from sigma import groups


def register(app: typer.Typer) -> None:
    """Attach the shared groups, then let each ``cmd_*`` module attach its commands."""
    for info in sorted(pkgutil.iter_modules(sigma.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"sigma.{info.name}").register(app)
    if groups.schemas_app.registered_commands:
        app.add_typer(groups.schemas_app, name="schemas")
    if groups.dlq_app.registered_commands:
        app.add_typer(groups.dlq_app, name="dlq")
