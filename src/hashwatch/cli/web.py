"""``hashwatch serve``: the web app on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from hashwatch.cli.common import console, open_database, settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the web app and the API (behind a reverse proxy in production).

    Example: hashwatch serve --host 127.0.0.1 --port 8000
    """
    import uvicorn

    from hashwatch.web.security import install_token_log_filter

    install_token_log_filter()  # the CLI's own process; create_app does it in each worker
    settings()  # refuse bad settings before starting
    open_database().dispose()  # refuse an uninitialised or outdated database
    console.print(f"hashwatch on http://{host}:{port}/ (API docs at /api/docs)")
    # An import string and a factory, so that every worker process builds its own app.
    uvicorn.run(
        "hashwatch.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


def register(app: typer.Typer) -> None:
    app.command()(serve)
