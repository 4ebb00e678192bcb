"""``hashwatch registry``: the template, import, export and listing of facilities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hashwatch.cli.common import (
    ActorOption,
    FormatOption,
    OutputFormat,
    console,
    database,
    emit_object,
    emit_rows,
    err_console,
    resolve_actor,
    settings,
)
from hashwatch.errors import InputError
from hashwatch.io.registry_files import configured_districts
from hashwatch.reporting.districts import District
from hashwatch.services import registry as service

app = typer.Typer(help="The registry of organizations and facilities.", no_args_is_help=True)

OutputOption = Annotated[
    Path, typer.Option("--output", "-o", help="File to write: .xlsx or .csv.", dir_okay=False)
]
TABLE_COLUMNS = (
    "facility_code",
    "facility_name",
    "organization_uscc",
    "organization_name",
    "district_name",
    "rated_it_capacity_kw",
    "contracted_grid_capacity_kw",
)


def _districts() -> tuple[District, ...]:
    return configured_districts(settings().district_file)


def print_row_errors(problems: Sequence[Mapping[str, Any]]) -> None:
    """Every row error of a rejected file, as a table on stderr."""
    table = Table(title=f"{len(problems)} problem(s); nothing was imported", title_justify="left")
    for column in ("row", "column", "problem", "value"):
        table.add_column(column, overflow="fold")
    for p in problems:
        value = "" if p.get("value") is None else str(p["value"])
        table.add_row(str(p.get("row", "")), p.get("field") or "", p["message"], value)
    err_console.print(table)


def _summary(result: service.ImportResult) -> str:
    orgs, facilities = result.organizations, result.facilities
    return (
        f"{'dry run, nothing written: ' if result.dry_run else ''}rows: {result.rows}; "
        f"organizations {orgs.created} created, {orgs.updated} updated, "
        f"{orgs.unchanged} unchanged; facilities {facilities.created} created, "
        f"{facilities.updated} updated, {facilities.unchanged} unchanged"
    )


@app.command()
def template(output: OutputOption) -> None:
    """Write a fill-in template: XLSX (with districts and help sheets) or CSV.

    Example: hashwatch registry template -o registry.xlsx
    """
    service.registry_template(output, districts=_districts())
    console.print(f"wrote the registry template {escape(str(output))}")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Registry file, .xlsx or .csv.", dir_okay=False)],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything, write nothing.")
    ] = False,
    actor: ActorOption = None,
) -> None:
    """Import organizations and facilities: every row, or none if any row is bad.

    Example: hashwatch registry import facilities.xlsx --dry-run
    """
    columns = (TextColumn("importing"), BarColumn(), TimeElapsedColumn())
    with (
        database() as db,
        Progress(*columns, console=err_console, disable=not err_console.is_terminal) as bar,
    ):
        task = bar.add_task("import", total=None)
        try:
            result = service.import_registry(
                db,
                file,
                actor=resolve_actor(actor),
                dry_run=dry_run,
                districts=_districts(),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except InputError as exc:
            if exc.problems:
                print_row_errors(exc.problems)
            raise
    for note in result.notes:
        err_console.print(f"note: {escape(note)}")
    console.print(_summary(result))


@app.command()
def export(output: OutputOption) -> None:
    """Write the whole registry to a file that `registry import` reads back.

    Example: hashwatch registry export -o registry.xlsx
    """
    with database() as db:
        count = service.export_registry(db, output)
    console.print(f"wrote {count} facilities to {escape(str(output))}")


@app.command("list")
def list_(
    district: Annotated[
        str | None, typer.Option(help="Only this district: code, 朝阳区 or Chaoyang.")
    ] = None,
    organization: Annotated[str | None, typer.Option(help="Only this organization's USCC.")] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List facilities, optionally of one district or one organization.

    Example: hashwatch registry list --district 朝阳 --format csv
    """
    with database() as db:
        rows = service.list_facilities(
            db, district=district, organization_uscc=organization, districts=_districts()
        )
    columns = TABLE_COLUMNS if fmt is OutputFormat.TABLE else None
    emit_rows(rows, fmt, columns=columns, title=f"{len(rows)} facilities")


@app.command()
def show(
    code: Annotated[str, typer.Argument(help="Facility code.")],
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Show one facility with its organization, meters and IP ranges.

    Example: hashwatch registry show BJ-CY-0001 --format json
    """
    with database() as db:
        emit_object(service.get_facility(db, code, districts=_districts()), fmt)
