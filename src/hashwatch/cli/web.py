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

    from hashwatch.web.app import create_app

    cfg = settings()
    db = open_database()
    console.print(f"hashwatch on http://{host}:{port}/ (API docs at /api/docs)")
    uvicorn.run(
        create_app(cfg, db),
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


def register(app: typer.Typer) -> None:
    app.command()(serve)
