"""``hashwatch meters ingest`` and ``hashwatch demo meters``: meter interval data in and out."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from hashwatch.cli.common import (
    ActorOption,
    FormatOption,
    OutputFormat,
    console,
    emit_object,
    err_console,
    open_database,
    resolve_actor,
    settings,
)
from hashwatch.detection.cleaning import ALLOWED_INTERVAL_MINUTES, DuplicatePolicy, Unit
from hashwatch.errors import ConfigurationError, InputError
from hashwatch.io.meter_files import Layout
from hashwatch.services import meters as service
from hashwatch.store.engine import Database

app = typer.Typer(help="Meter interval data: ingest for detection.", no_args_is_help=True)

IntervalOption = Annotated[
    int | None,
    typer.Option("--interval-minutes", help="Interval length: 15, 30 or 60 (default: detected)."),
]


def _interval(minutes: int | None) -> int | None:
    if minutes is not None and minutes not in ALLOWED_INTERVAL_MINUTES:
        raise InputError(
            f"--interval-minutes must be 15, 30 or 60, not {minutes}", field="interval_minutes"
        )
    return minutes


def _database_or_none() -> Database | None:
    try:
        return open_database()
    except ConfigurationError as exc:
        err_console.print(
            f"[yellow]note:[/] {escape(exc.message)}; the readings are stored but not linked "
            "to facilities and the ingest is not audited"
        )
        return None


def _report_table(result: service.IngestResult) -> Table:
    report = result.report
    table = Table(title=f"ingested {escape(report.source)}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    detected = "detected" if report.interval_detected else "given"
    rows = [
        ("rows read", f"{report.rows_read:,}"),
        ("readings kept", f"{report.rows_kept:,} for {report.meters:,} meters"),
        ("interval", f"{report.interval_minutes} minutes ({detected})"),
        ("unit as given", report.unit),
        ("period (UTC)", f"{report.first_interval_start} to {report.last_interval_start}"),
        ("blank values dropped", f"{report.blank_values:,}"),
        ("identical duplicates dropped", f"{report.identical_duplicates_dropped:,}"),
        ("conflicting duplicates, later row kept", f"{report.conflicting_duplicates_resolved:,}"),
        ("rows out of time order (sorted)", f"{report.out_of_order_rows:,}"),
        ("negative values dropped", f"{report.negative_values_dropped:,}"),
        ("absurd values dropped", f"{report.absurd_values_dropped:,}"),
        ("meters read as Wh", ", ".join(report.meters_rescaled_from_wh) or "none"),
        (
            "gaps",
            f"{report.missing_intervals:,} missing intervals at {report.meters_with_gaps:,} meters",
        ),
        (
            "store",
            f"{result.stored.readings_added:,} added, {result.stored.readings_replaced:,} "
            f"replaced, {result.stored.readings_unchanged:,} unchanged "
            f"({result.stored.buckets_written} buckets)",
        ),
    ]
    if result.links is not None:
        facilities = len({link.facility_code for link in result.links.values()})
        rows.append(
            (
                "registry",
                f"{len(result.links):,} meters linked to {facilities:,} facilities; "
                f"{len(result.unlinked_meters):,} not in the registry",
            )
        )
    for what, value in rows:
        table.add_row(what, escape(value))
    return table


def _as_record(result: service.IngestResult) -> dict[str, Any]:
    links = result.links
    return {
        "report": asdict(result.report),
        "stored": asdict(result.stored),
        "linked_meters": None if links is None else len(links),
        "linked_facilities": (
            None if links is None else len({link.facility_code for link in links.values()})
        ),
        "unlinked_meters": len(result.unlinked_meters),
        "warnings": list(result.warnings),
    }


@app.command("ingest")
def ingest(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet file of interval readings.")],
    layout: Annotated[
        Layout | None,
        typer.Option("--format", help="long or wide (default: long when there is a meter_id)."),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(help="IANA zone of times written without an offset, e.g. Asia/Shanghai."),
    ] = None,
    unit: Annotated[
        Unit | None,
        typer.Option(help="Unit of a value column without one in its name (wide: default kwh)."),
    ] = None,
    interval_minutes: IntervalOption = None,
    duplicates: Annotated[
        DuplicatePolicy,
        typer.Option(help="Rows with the same meter and time but different values."),
    ] = DuplicatePolicy.ERROR,
    actor: ActorOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Read, clean and store interval meter data (long or wide, CSV or Parquet).

    Prints the cleaning report: what was dropped or corrected and why, gaps, and how many
    meters the registry links to facilities. Readings are stored as Parquet under
    HASHWATCH_DATA_DIR/meters/readings, partitioned by a hash of the meter id.

    Example: hashwatch meters ingest readings.csv --timezone Asia/Shanghai
    """
    db = _database_or_none()
    try:
        result = service.ingest_meter_file(
            file,
            data_dir=settings().data_dir,
            db=db,
            actor=resolve_actor(actor),
            layout=layout,
            timezone=timezone,
            unit=unit,
            interval_minutes=_interval(interval_minutes),
            duplicates=duplicates,
        )
    finally:
        if db is not None:
            db.dispose()
    if fmt is not OutputFormat.TABLE:
        emit_object(_as_record(result), OutputFormat.JSON)
        return
    console.print(_report_table(result))
    for note in result.report.notes:
        console.print(f"note: {escape(note)}")
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")


def demo_meters(
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Readings file to write: .parquet or .csv."),
    ],
    seed: Annotated[int, typer.Option(help="Seed: one seed, one set of meters.")] = 2021,
    meters: Annotated[int, typer.Option(min=1, max=1_000_000, help="Number of meters.")] = 1000,
    days: Annotated[int, typer.Option(min=1, max=3660, help="Days from 2021-01-01.")] = 90,
    interval_minutes: Annotated[
        int, typer.Option("--interval-minutes", help="Interval length: 15, 30 or 60.")
    ] = 60,
) -> None:
    """Write labelled synthetic meter data: ordinary loads and mining, with meter defects.

    Data centers, offices, factories, residential compounds, mining farms and mining hidden
    inside a data center or factory (Beijing time, from 2021-01-01). Beside the readings
    (meter_id, interval_start, energy_kwh): <stem>.labels.csv (profile class, is_mining,
    mining share, contracted capacity), <stem>.daily.csv (hashprice, grid peak days) and
    <stem>.temperature.csv. Deterministic by seed; see docs/detection.md.

    Example: hashwatch demo meters --seed 7 --meters 5000 --days 90 -o city.parquet
    """
    files = service.write_demo_meters(
        output,
        seed=seed,
        meters=meters,
        days=days,
        interval_minutes=_interval(interval_minutes) or 60,
    )
    console.print(
        f"wrote {files.rows:,} readings of {files.meters:,} meters "
        f"({files.mining_meters:,} mining) to {escape(str(files.readings))}"
    )
    for path in (files.labels, files.daily, files.temperature):
        console.print(f"  {escape(str(path))}")
