"""`hashwatch schema` commands: the published schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hashwatch.cli.common import err_console
from hashwatch.io.tables import write_text
from hashwatch.reporting.report import report_json_schema

app = typer.Typer(help="Print the published schemas.", no_args_is_help=True)


@app.command("report")
def report(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of standard output."),
    ] = None,
) -> None:
    """Print the JSON Schema (draft 2020-12) of a report.

    Example: hashwatch schema report -o report.schema.json
    """
    text = json.dumps(report_json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    write_text(output, text)
    err_console.print(f"wrote {output}")
