"""``hashwatch init``."""

from __future__ import annotations

import typer

from hashwatch.cli.common import console, open_database, settings


def init() -> None:
    """Create or migrate the database and the data directory.

    Example: HASHWATCH_DATA_DIR=./city hashwatch init
    """
    cfg = settings()
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(migrate=True)
    console.print(f"database ready at {db.url.render_as_string()} (schema {db.current_revision()})")
    db.dispose()


def register(app: typer.Typer) -> None:
    app.command()(init)
