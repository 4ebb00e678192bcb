"""``hashwatch report NOTICE_REF``: the assessment report as HTML, PDF or XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hashwatch.assessment.data import Basis
from hashwatch.cli.common import (
    AcceptedOnlyOption,
    PublicOption,
    console,
    open_database,
    settings,
)
from hashwatch.io.tables import atomic_path
from hashwatch.services.impact_report import ReportFormat, impact_report


def report(
    notice_ref: Annotated[str, typer.Argument(help="The notice's reference number.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    fmt: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="html, pdf or xlsx (default: from the file's extension).",
            case_sensitive=False,
        ),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "zh",
    public: PublicOption = False,
    accepted_only: AcceptedOnlyOption = False,
) -> None:
    """The assessment report of a notice for leadership: headline figures, charts, tables,
    method and data-quality notes, unknown and flagged facilities.

    Example: hashwatch report BJ-2021-04 --format pdf --lang zh -o BJ-2021-04.pdf
    """
    chosen = fmt or _format_of(output)
    db = open_database()
    try:
        made = impact_report(
            db,
            notice_ref,
            settings=settings(),
            fmt=chosen,
            lang=lang,
            public=public,
            basis=Basis.ACCEPTED if accepted_only else Basis.SUBMITTED,
        )
    finally:
        db.dispose()
    with atomic_path(output) as tmp:
        tmp.write_bytes(made.content)
    kind = "public" if public else "internal (not for publication)"
    console.print(f"wrote {output} ({chosen.value}, {lang}, {kind}, {len(made.content):,} bytes)")


def _format_of(path: Path) -> ReportFormat:
    suffix = path.suffix.lower().lstrip(".")
    try:
        return ReportFormat(suffix)
    except ValueError:
        raise typer.BadParameter(
            f"cannot tell the format from {path.name!r}: give --format html|pdf|xlsx",
            param_hint="--format",
        ) from None


def register(app: typer.Typer) -> None:
    app.command("report")(report)
