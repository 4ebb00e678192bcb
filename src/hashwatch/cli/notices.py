"""`hashwatch notices` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="notices commands.", no_args_is_help=True)
