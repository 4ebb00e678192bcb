"""`hashwatch schema` commands: the published schemas."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from hashwatch.cli.common import err_console
from hashwatch.errors import InputError
from hashwatch.reporting.report import report_json_schema

app = typer.Typer(help="Print the published schemas.", no_args_is_help=True)


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so nothing is half-written."""
    directory = path.parent if str(path.parent) else Path()
    if not directory.is_dir():
        raise InputError(f"directory {str(directory)!r} does not exist", field="output")
    tmp = directory / f".{path.name}.{os.getpid()}.tmp"
    try:
        with tmp.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
    if output.is_dir():
        raise InputError(f"{str(output)!r} is a directory", field="output")
    _write_atomically(output, text)
    err_console.print(f"wrote {output}")
