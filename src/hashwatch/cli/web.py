"""``hashwatch serve``: the web app on uvicorn."""

from __future__ import annotations

import logging
import re
from typing import Annotated

import typer

from hashwatch.cli.common import console, open_database, settings


class TokenLinkFilter(logging.Filter):
    """Masks the access token of notice links (``/r/<token>``) in the access log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_LINK.sub("/r/[token]", a) if isinstance(a, str) else a for a in record.args
            )
        return True


_TOKEN_LINK = re.compile(r"/r/[A-Za-z0-9_-]+")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the web app and the API (behind a reverse proxy in production).

    Example: hashwatch serve --host 127.0.0.1 --port 8000
    """
    import uvicorn

    logging.getLogger("uvicorn.access").addFilter(TokenLinkFilter())
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
