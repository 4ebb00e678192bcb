"""``hashwatch detect meters`` and ``hashwatch detect evidence``: mining-like meters;
``hashwatch detect runs list|prune``: the stored runs and their retention."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from hashwatch.cli.common import (
    ActorOption,
    FormatOption,
    OutputFormat,
    console,
    database,
    emit_rows,
    err_console,
    open_database,
    resolve_actor,
)
from hashwatch.detection.cleaning import ALLOWED_INTERVAL_MINUTES
from hashwatch.detection.local_engine import DEFAULT_TIMEZONE, EngineOptions
from hashwatch.errors import ConfigurationError, InputError
from hashwatch.io.detection_files import write_candidates
from hashwatch.io.tables import atomic_path
from hashwatch.services import detection as service
from hashwatch.services.detection_retention import (
    DEFAULT_KEEP_RUNS,
    MAX_OLDER_THAN_DAYS,
    RunSummary,
    list_runs,
    prune_runs,
)
from hashwatch.services.detection_runs import store_run
from hashwatch.store.engine import Database

app = typer.Typer(help="Detect mining-like load in meter data.", no_args_is_help=True)
runs = typer.Typer(help="Stored detection runs: list and prune.", no_args_is_help=True)
app.add_typer(runs, name="runs")
RUN_COLUMNS = ("id", "created_at", "engine", "notice_ref", "meters", "candidates")

InputArgument = Annotated[
    Path,
    typer.Argument(help="Long-format readings: a Parquet or CSV file, or a folder of Parquet."),
]
TimezoneOption = Annotated[
    str, typer.Option(help="IANA zone of the meters' local time (days start at its midnight).")
]
IntervalOption = Annotated[
    int | None,
    typer.Option("--interval-minutes", help="Interval length: 15, 30 or 60 (default: detected)."),
]


def _options(
    timezone: str, interval: int | None, workers: int, batch: int, temp_dir: Path | None = None
) -> EngineOptions:
    if interval is not None and interval not in ALLOWED_INTERVAL_MINUTES:
        raise InputError(f"--interval-minutes must be 15, 30 or 60, not {interval}")
    if temp_dir is not None and not temp_dir.is_dir():
        raise InputError(f"--temp-dir {temp_dir}: no such folder", field="temp_dir")
    return EngineOptions(
        timezone=timezone,
        interval_minutes=interval,
        workers=workers,
        batch_meters=batch,
        temp_dir=temp_dir,
    )


def _database_or_none(needed: bool) -> Database | None:
    try:
        return open_database()
    except ConfigurationError as exc:
        if needed:
            raise
        err_console.print(
            f"[yellow]note:[/] {escape(exc.message)}; meters are not linked to facilities"
        )
        return None


@app.command("meters")
def meters(
    input_path: InputArgument,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Candidates file: .csv or .parquet.")
    ],
    engine: Annotated[
        service.Engine, typer.Option(help="local (this machine) or spark.")
    ] = service.Engine.LOCAL,
    external: Annotated[
        Path | None,
        typer.Option(help="Daily CSV: date, a price (hashprice_...) and/or grid_peak_day."),
    ] = None,
    temperature: Annotated[
        Path | None, typer.Option(help="CSV: interval_start, temperature_c.")
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(help="Inspection outcomes, CSV: meter_id, is_mining (trains a model)."),
    ] = None,
    capacity: Annotated[
        Path | None,
        typer.Option(help="CSV: meter_id, capacity_kw (default: the registry's contracts)."),
    ] = None,
    notice: Annotated[
        str | None,
        typer.Option(help="Cross-check with this notice's reports (needs the database)."),
    ] = None,
    timezone: TimezoneOption = DEFAULT_TIMEZONE,
    interval_minutes: IntervalOption = None,
    workers: Annotated[int, typer.Option(min=0, help="Processes (0: one per core).")] = 0,
    batch_meters: Annotated[
        int, typer.Option(min=1, help="Meters per block given to the kernel.")
    ] = 500,
    temp_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the temporary store of a CSV, wide or unclustered input "
            "(about 35 bytes a reading; default: the system's, TMPDIR)."
        ),
    ] = None,
    store: Annotated[
        bool,
        typer.Option("--store", help="Also keep the scores in the database (audited)."),
    ] = False,
    actor: ActorOption = None,
) -> None:
    """Score every meter's load for how mining-like it is; write one row per meter.

    Columns: meter_id, score (0-1), is_candidate (score >= 0.5), reasons (the features that
    drove the score, with their values), the rule, unusualness and supervised parts, then
    every feature; with --notice also facility_code and crosscheck (finding codes).
    With --store the run and every meter's score are kept in the database too, linked to
    the registry's facilities (shown on the facility's review page). See docs/detection.md.

    Example: hashwatch detect meters city.parquet --external city.daily.csv -o candidates.csv
    """
    request = service.DetectRequest(
        input=input_path,
        engine=engine,
        external=external,
        temperature=temperature,
        labels=labels,
        capacity=capacity,
        notice_ref=notice,
        options=_options(timezone, interval_minutes, workers, batch_meters, temp_dir),
    )
    db = _database_or_none(needed=notice is not None or store)
    try:
        result = service.detect_meters(request, db=db)
        write_candidates(result.table, output)
        stored = None
        if store and db is not None:
            stored = store_run(db, request, result, actor=resolve_actor(actor))
    finally:
        if db is not None:
            db.dispose()
    console.print(
        f"scored {result.meters:,} meters: {result.candidates:,} candidates; "
        f"wrote {escape(str(output))}"
    )
    if result.linked_meters is not None:
        console.print(f"{result.linked_meters:,} meters linked to facilities in the registry")
    for code, findings in result.findings.items():
        for finding in findings:
            console.print(f"[yellow]{escape(code)}:[/] {escape(str(finding['message']))}")
    if stored is not None:
        console.print(f"stored as detection run {stored.run_id} ({stored.meters:,} meters)")


@app.command("evidence")
def evidence(
    input_path: InputArgument,
    meter_id: Annotated[str, typer.Argument(help="The meter to draw.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="SVG or PNG file to write (by its suffix).")
    ],
    timezone: TimezoneOption = DEFAULT_TIMEZONE,
    interval_minutes: IntervalOption = None,
) -> None:
    """Draw one meter's load curve with its detected steps and curtailment, as SVG or PNG.

    Example: hashwatch detect evidence city.parquet M000042 -o M000042.svg
    """
    from hashwatch.documents.render import chart_png, chart_svg

    suffix = output.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise InputError(f"{output.name}: the chart is written as .svg or .png", field="output")
    spec = service.evidence_chart(
        input_path, meter_id, options=_options(timezone, interval_minutes, 1, 500)
    )
    with atomic_path(output) as tmp:
        if suffix == ".png":
            tmp.write_bytes(chart_png(spec))
        else:
            tmp.write_text(chart_svg(spec), encoding="utf-8")
    console.print(f"wrote {escape(str(output))}")


def _run_rows(found: Sequence[RunSummary]) -> list[dict[str, Any]]:
    """The runs as rows, their times to the second."""
    return [{**r.as_dict(), "created_at": r.created_at.replace(microsecond=0)} for r in found]


@runs.command("list")
def list_stored_runs(fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List the stored detection runs, newest first, with their counts of meters and candidates.

    Example: hashwatch detect runs list --format json
    """
    with database() as db:
        found = list_runs(db)
    emit_rows(_run_rows(found), fmt, columns=RUN_COLUMNS)


@runs.command("prune")
def prune_stored_runs(
    keep: Annotated[
        int, typer.Option(min=1, help="How many of the newest runs to keep (at least 1).")
    ] = DEFAULT_KEEP_RUNS,
    older_than: Annotated[
        int | None,
        typer.Option(
            "--older-than",
            min=1,
            max=MAX_OLDER_THAN_DAYS,
            metavar="DAYS",
            help="Delete only runs stored more than this many days ago.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be deleted; delete nothing.")
    ] = False,
    actor: ActorOption = None,
) -> None:
    """Delete old stored runs and their meter scores (one transaction, audited).

    Keeps the --keep newest runs; with --older-than, deletes only the others stored more
    than that many days ago. A facility whose every scoring run is deleted shows no
    detection result any more.

    Example: hashwatch detect runs prune --keep 10 --older-than 90
    """
    with database() as db:
        result = prune_runs(
            db,
            actor=resolve_actor(actor),
            keep=keep,
            older_than_days=older_than,
            dry_run=dry_run,
        )
    if not result.runs:
        console.print(f"no run to delete (keeping the {keep:,} newest)")
        return
    verb = "would delete" if result.dry_run else "deleted"
    emit_rows(_run_rows(result.runs), OutputFormat.TABLE, columns=RUN_COLUMNS, title=verb)
    kept = f"the {keep:,} newest"
    if older_than is not None:
        kept += f" and any from the last {older_than:,} days"
    console.print(
        f"{verb} {len(result.runs):,} runs and {result.meter_scores:,} meter scores (kept {kept})"
    )
