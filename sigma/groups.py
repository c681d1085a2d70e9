"""Command groups shared by several command modules (e.g. ``schemas`` gets commands from two rooms)."""

from __future__ import annotations

import typer

schemas_app = typer.Typer(help="The message book: list, generate, document and check schemas.",
                          no_args_is_help=True)
dlq_app = typer.Typer(help="Dead-letter tooling: inspect and redrive records from chain.dlq.",
                      no_args_is_help=True)
