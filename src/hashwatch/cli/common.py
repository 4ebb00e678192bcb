"""What every command shares: settings, the database, the actor and output formats."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hashwatch.errors import ConfigurationError, InputError
from hashwatch.io.tables import csv_text
from hashwatch.reporting.canonical import canonical_json
from hashwatch.settings import Settings, get_settings
from hashwatch.store.engine import Database


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
ActorOption = Annotated[
    str | None,
    typer.Option(
        "--actor",
        help="Who is acting, for the audit trail (default: HASHWATCH_ACTOR or the OS user).",
    ),
]
PublicOption = Annotated[
    bool,
    typer.Option(
        "--public",
        help="Publishable: cells of fewer than HASHWATCH_ASSESSMENT_MIN_FACILITIES facilities "
        "suppressed, no facility or organization named.",
    ),
]
AcceptedOnlyOption = Annotated[
    bool,
    typer.Option(
        "--accepted-only", help="Count accepted reports only (not those awaiting review)."
    ),
]

PIPED_TABLE_WIDTH = 400
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def settings() -> Settings:
    """The deployment settings of this invocation."""
    return get_settings()


def open_database(*, migrate: bool = False) -> Database:
    """The configured database; refuses an uninitialised or outdated schema unless migrating."""
    db = Database.from_settings(settings(), create=migrate)
    if migrate:
        db.migrate()
        return db
    current, head = db.current_revision(), db.head_revision()
    if current != head:
        db.dispose()
        if current is None:
            raise ConfigurationError("the database is not initialised: run `hashwatch init`")
        raise ConfigurationError(
            f"the database schema is at {current}, this hashwatch needs {head}: "
            "run `hashwatch init` to migrate"
        )
    return db


@contextmanager
def database(*, migrate: bool = False) -> Iterator[Database]:
    """:func:`open_database` for one command, its connections closed at the end."""
    db = open_database(migrate=migrate)
    try:
        yield db
    finally:
        db.dispose()


MAX_ACTOR_CHARS = 200


def resolve_actor(actor: str | None) -> str:
    """The name recorded in the audit trail for this invocation."""
    chosen = actor or os.environ.get("HASHWATCH_ACTOR")
    if not chosen:
        try:
            chosen = f"cli:{getpass.getuser()}"
        except (KeyError, OSError):
            chosen = "cli:unknown"
    chosen = chosen.strip()
    if not chosen or len(chosen) > MAX_ACTOR_CHARS or not chosen.isprintable():
        raise InputError(
            f"the actor must be 1 to {MAX_ACTOR_CHARS} printable characters", field="actor"
        )
    return chosen


def _json_default(value: Any) -> Any:
    """Dates and times in ISO 8601; anything else as its text."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 1e15:
            return f"{value:.6e}"
        # whole units from 100,000 up (no "5.74757e+08 kWh" in a table); JSON keeps every digit
        return f"{value:,.0f}" if abs(value) >= 1e5 else f"{value:,.6g}"
    if isinstance(value, list | dict):
        return canonical_json(value)
    return str(value)


def emit_rows(
    rows: Sequence[Mapping[str, Any]],
    fmt: OutputFormat,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print rows as a Rich table, a JSON array or CSV with a header."""
    cols = list(columns) if columns else (list(rows[0].keys()) if rows else [])
    if fmt is OutputFormat.JSON:
        typer.echo(
            json.dumps([dict(r) for r in rows], ensure_ascii=False, indent=2, default=_json_default)
        )
        return
    if fmt is OutputFormat.CSV:
        typer.echo(csv_text(cols, rows), nl=False)
        return
    table = Table(title=title, show_lines=False)
    for col in cols:
        table.add_column(col)
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in cols))
    # On a terminal the table fits the window; piped into a file or another program it
    # gets room enough that no cell is cut short.
    out = console if console.is_terminal else Console(highlight=False, width=PIPED_TABLE_WIDTH)
    out.print(table)


def emit_object(value: Mapping[str, Any], fmt: OutputFormat) -> None:
    """Print one record: JSON as is, otherwise as a two-column table."""
    if fmt is OutputFormat.JSON:
        typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=_json_default))
        return
    emit_rows([{"field": k, "value": v} for k, v in value.items()], fmt)
