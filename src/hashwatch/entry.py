"""The ``hashwatch`` console script's entry point, kept free of imports.

The installed script runs ``from hashwatch.entry import main`` at its top level, and
multiprocessing runs the parent's main script again in every worker process it starts
(the detection engine's workers, spawned or forked from its fork server): importing the
whole command line there (Typer, Rich, SQLAlchemy, Alembic: about a second of CPU per
worker) would be wasted. The command line is imported when :func:`main` runs, which a worker
never does.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> None:
    """Run the ``hashwatch`` command line (:func:`hashwatch.cli.main`)."""
    from hashwatch.cli import main as cli_main

    cli_main(argv)
