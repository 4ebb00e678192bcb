"""``hashwatch demo``: build the synthetic demo city and say how to explore it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from hashwatch.cli.common import console, open_database, settings
from hashwatch.demo.city import DemoSummary, build_demo_city, reset_demo_data
from hashwatch.demo.facilities import DEFAULT_FACILITIES, MIN_FACILITIES


def demo(
    seed: Annotated[int, typer.Option(help="Seed of the city: one seed, one city.")] = 2021,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="--no-serve: build and print only.")
    ] = True,
    reset: Annotated[
        bool,
        typer.Option("--reset", help="Delete the embedded SQLite database and the outbox first."),
    ] = False,
    facilities: Annotated[
        int, typer.Option(min=MIN_FACILITIES, max=60_000, hidden=True, help="Number of facilities.")
    ] = DEFAULT_FACILITIES,
) -> None:
    """Build a synthetic Beijing: ~300 data centers, the April 2021 notice and its reports.

    Runs the real import, notice, submission and review services on the configured
    database (by default SQLite in HASHWATCH_DATA_DIR), which must be empty.

    Example: HASHWATCH_DATA_DIR=./demo-city hashwatch demo --seed 7 --no-serve
    """
    del serve  # nothing to serve yet: building the city and printing it is all there is
    cfg = settings()
    if reset:
        for path in reset_demo_data(cfg):
            console.print(f"deleted {escape(str(path))}")
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(migrate=True)
    try:
        summary = build_demo_city(
            db,
            cfg,
            seed=seed,
            facilities=facilities,
            progress=lambda message: console.print(f"[dim]{escape(message)}[/]"),
        )
    finally:
        db.dispose()
    print_summary(summary)


def _kinds(summary: DemoSummary) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in summary.organizations_by_kind.items())


def print_summary(summary: DemoSummary) -> None:
    """The demo city in a few tables, then the commands to continue with."""
    table = Table(title=f"demo city, seed {summary.seed}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("facilities", f"{summary.facilities} in {summary.districts} districts")
    table.add_row("organizations", f"{summary.organizations} ({_kinds(summary)})")
    table.add_row("notice", f"{summary.notice_ref} to {summary.recipients} recipients")
    statuses = ", ".join(f"{status} {n}" for status, n in summary.status_counts.items())
    table.add_row("recipients by status", statuses)
    versions = ", ".join(f"v{v}: {n}" for v, n in summary.submissions_by_version.items())
    table.add_row(
        "submissions",
        f"{summary.submissions} ({versions}); {summary.late_reports} late; "
        f"{summary.rejected_attempts} first attempts refused by validation, then corrected",
    )
    mining_kwh = summary.reported_mining_electricity_kwh
    total_kwh = summary.reported_facility_electricity_kwh
    share = summary.reported_mining_share_pct
    table.add_row(
        "mining electricity",
        f"{mining_kwh:,.0f} kWh ({mining_kwh / 1e6:,.2f} GWh) at "
        f"{summary.facilities_involved_in_mining} facilities = "
        f"{'n/a' if share is None else f'{share:.2f} %'} of the {total_kwh:,.0f} kWh "
        f"({total_kwh / 1e6:,.1f} GWh) reported for April 2021",
    )
    chain = "verified" if summary.audit_chain_ok else "BROKEN"
    table.add_row("audit trail", f"{summary.audit_rows} rows, hash chain {chain}")
    table.add_row("data directory", escape(str(summary.data_dir)))
    table.add_row("outbox", escape(str(summary.outbox_dir)))
    table.add_row("built in", f"{summary.seconds:.1f} s")
    console.print(table)
    console.print("[bold]continue with[/]")
    console.print("  . .venv/bin/activate   # if hashwatch is not on your PATH")
    console.print(f"  export HASHWATCH_DATA_DIR={escape(str(summary.data_dir))}")
    console.print(f"  hashwatch notice status {summary.notice_ref}")
    console.print(f"  hashwatch export {summary.notice_ref} --format xlsx -o reports.xlsx")
    console.print("  hashwatch audit verify")
    for pending in summary.pending_reports:
        console.print(f"  # {pending.facility_code} is {pending.status}: file its report")
        console.print(
            f"  hashwatch submit {summary.notice_ref} --token {pending.token} "
            f"--file {escape(str(pending.report_path))}",
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.command()(demo)
