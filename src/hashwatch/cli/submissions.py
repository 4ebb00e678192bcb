"""``hashwatch submit``, ``receipt``, ``review return|accept`` and ``export``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hashwatch.cli.common import (
    ActorOption,
    FormatOption,
    OutputFormat,
    console,
    emit_object,
    emit_rows,
    err_console,
    open_database,
    resolve_actor,
)
from hashwatch.errors import FileFormatError, InputError
from hashwatch.io.tables import write_text
from hashwatch.reporting.models import ReviewAction
from hashwatch.services import review as review_service
from hashwatch.services import submissions as service
from hashwatch.services.exports import ExportFormat, export_notice
from hashwatch.services.lookup import by_token

RefArg = Annotated[str, typer.Argument(help="The notice's reference number.")]
FacilityArg = Annotated[str, typer.Argument(help="The facility's code.")]
TokenOption = Annotated[
    str,
    typer.Option(
        envvar="HASHWATCH_TOKEN",
        prompt="access token",
        hide_input=True,
        help="The recipient's access token (asked for when not given, so it stays out of "
        "the process list and shell history; or set HASHWATCH_TOKEN).",
    ),
]

review_app = typer.Typer(
    help="Review reports: return for correction, or accept.", no_args_is_help=True
)


def read_report_file(path: Path) -> dict[str, Any]:
    """A report from a JSON file; errors name the line and column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", field="file") from None
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path}: not UTF-8 at byte offset {exc.start}") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except (ValueError, RecursionError) as exc:  # giant integers, absurd nesting
        raise FileFormatError(f"{path}: cannot be read as a report: {exc}") from None
    if not isinstance(value, dict):
        raise FileFormatError(f"{path}: a report is a JSON object, not {type(value).__name__}")
    return value


def _print_problems(problems: list[dict[str, Any]]) -> None:
    err_console.print("[bold]findings that block the report:[/]")
    for p in problems:
        need = " (needs an explanation)" if p.get("needs") else ""
        err_console.print(
            f"  {p['severity']}: {p['code']} [{p.get('field') or '-'}]{need}: {p['message']}",
            markup=False,
        )


def submit(
    notice_ref: RefArg,
    token: TokenOption,
    file: Annotated[Path, typer.Option("--file", help="The report as JSON.")],
    idempotency_key: Annotated[
        str | None, typer.Option(help="A key of yours; a retry with it returns the receipt.")
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Only validate; file nothing.")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """File (or amend) a report with the access token from the notice.

    Example: hashwatch submit BJ-2021-04 --token "$TOKEN" --file report.json \
--idempotency-key 2021-04-v1
    """
    report = read_report_file(file)
    db = open_database()
    if check:
        result = service.check_report(db, by_token(token, notice_ref), report)
        emit_rows(
            [f.as_dict() for f in result.findings],
            fmt,
            columns=["severity", "code", "field", "message"],
        )
        if not result.accepted:
            raise InputError("the report would not be accepted")
        return
    try:
        receipt = service.submit_report(
            db, token, report, notice_ref=notice_ref, idempotency_key=idempotency_key
        )
    except InputError as exc:
        if exc.problems:
            _print_problems(exc.problems)
        raise
    emit_object(receipt.as_dict(), fmt)


def receipt(
    notice_ref: RefArg,
    token: TokenOption,
    version: Annotated[int | None, typer.Option(help="Version (default: newest).")] = None,
    output: Annotated[Path | None, typer.Option("-o", help="Write the copy of record.")] = None,
) -> None:
    """Show a receipt, or write its copy of record (canonical JSON) to a file.

    Example: hashwatch receipt BJ-2021-04 --token "$TOKEN" -o record.json
    """
    found = service.get_receipt(open_database(), by_token(token, notice_ref), version)
    if output:
        write_text(output, found.record_json)
        console.print(f"wrote {output} (sha256 {found.record_sha256})")
    else:
        emit_object(found.as_dict(), OutputFormat.TABLE)


@review_app.command("return")
def return_(
    notice_ref: RefArg,
    facility: FacilityArg,
    comment: Annotated[str, typer.Option(help="What to correct.")],
    version: Annotated[int | None, typer.Option(help="Expected newest version.")] = None,
    actor: ActorOption = None,
) -> None:
    """Return a report for correction.

    Example: hashwatch review return BJ-2021-04 BJ-DC-0007 --comment "Equipment list missing"
    """
    result = review_service.review_submission(
        open_database(),
        notice_ref,
        facility,
        ReviewAction.RETURN,
        reviewer=resolve_actor(actor),
        comment=comment,
        version=version,
    )
    console.print(f"returned version {result['version']} of {facility}")


@review_app.command()
def accept(
    notice_ref: RefArg,
    facility: FacilityArg,
    comment: Annotated[str | None, typer.Option(help="Optional note.")] = None,
    version: Annotated[int | None, typer.Option(help="Expected newest version.")] = None,
    actor: ActorOption = None,
) -> None:
    """Accept a report.

    Example: hashwatch review accept BJ-2021-04 BJ-DC-0007
    """
    result = review_service.review_submission(
        open_database(),
        notice_ref,
        facility,
        ReviewAction.ACCEPT,
        reviewer=resolve_actor(actor),
        comment=comment,
        version=version,
    )
    console.print(f"accepted version {result['version']} of {facility}")


def export(
    notice_ref: RefArg,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="File format.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
) -> None:
    """Export a notice's reports (newest version of each) as CSV, XLSX or JSON.

    Example: hashwatch export BJ-2021-04 --format xlsx -o reports.xlsx
    """
    with console.status(f"exporting {notice_ref}"):
        result = export_notice(open_database(), notice_ref, fmt, output)
    console.print(f"wrote {result['rows']} recipients to {result['path']}")


def register(app: typer.Typer) -> None:
    """Add these commands to the top-level app."""
    app.command()(submit)
    app.command()(receipt)
    app.add_typer(review_app, name="review")
    app.command()(export)
