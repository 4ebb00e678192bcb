"""``hashwatch audit verify|log``."""

from __future__ import annotations

from typing import Annotated

import typer

from hashwatch.cli.common import FormatOption, OutputFormat, console, emit_rows, open_database
from hashwatch.errors import AuditChainError
from hashwatch.services.audit_log import list_audit, verify_audit

app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


@app.command()
def verify() -> None:
    """Recompute the hash chain; exit non-zero naming the first bad row.

    Example: hashwatch audit verify
    """
    report = verify_audit(open_database())
    if not report.ok:
        raise AuditChainError(
            f"audit chain broken at row {report.bad_row_id}: {report.problem} "
            f"({report.rows_checked} rows verified before it)"
        )
    console.print(f"audit chain intact: {report.rows_checked} rows verified")
    if report.head_sha256:
        console.print(
            f"head: row {report.rows_checked}, sha256 {report.head_sha256} "
            "(keep this somewhere else: a later verify must extend it)"
        )


@app.command()
def log(
    limit: Annotated[int, typer.Option(min=1, help="How many rows, newest first.")] = 50,
    object_type: Annotated[str | None, typer.Option(help="e.g. notice, submission.")] = None,
    object_id: Annotated[str | None, typer.Option(help="e.g. BJ-2021-04/BJ-DC-0001/v2.")] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Show the newest audit rows.

    Example: hashwatch audit log --object-type submission --limit 20
    """
    rows = list_audit(open_database(), limit=limit, object_type=object_type, object_id=object_id)
    columns = ["id", "at", "actor", "action", "object_type", "object_id"]
    emit_rows(rows, fmt, columns=columns if fmt is OutputFormat.TABLE else None)
