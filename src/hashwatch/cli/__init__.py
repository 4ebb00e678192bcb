"""The ``hashwatch`` command line: a thin skin over :mod:`hashwatch.services`.

Each command parses its options, calls one service function and prints the result.
Expected failures (:class:`hashwatch.errors.HashwatchError`) print one line and exit
non-zero; they never show a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from hashwatch.cli import (
    accounts,
    assess,
    audit,
    demo,
    detect,
    energy,
    meters,
    notices,
    registry,
    report,
    schema,
    setup,
    submissions,
    web,
)
from hashwatch.errors import HashwatchError

app = typer.Typer(
    name="hashwatch",
    help="Find how much electricity cryptocurrency mining takes in a jurisdiction.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
setup.register(app)
app.add_typer(registry.app, name="registry")
app.add_typer(notices.app, name="notice")
submissions.register(app)
app.add_typer(audit.app, name="audit")
app.add_typer(schema.app, name="schema")
demo.register(app)
web.register(app)
app.add_typer(accounts.users, name="user")
app.add_typer(accounts.tokens, name="token")
app.add_typer(energy.app, name="energy")
assess.register(app)
app.add_typer(meters.app, name="meters")
app.add_typer(detect.app, name="detect")
report.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script and of ``python -m hashwatch``."""
    try:
        app(args=argv)
    except HashwatchError as exc:
        where = ""
        if exc.row is not None:
            where += f"row {exc.row}: "
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[bold red]error:[/] {escape(where + exc.message)}"
        )
        sys.exit(exc.exit_code)
