"""The FastAPI application, built by :func:`create_app` (never at import time)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from hashwatch.errors import HashwatchError
from hashwatch.settings import Settings, get_settings
from hashwatch.store.engine import Database
from hashwatch.web import errors
from hashwatch.web.security import (
    BodySizeLimitMiddleware,
    SecurityHeadersMiddleware,
    install_token_log_filter,
)

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """The web app over one database; the caller owns ``db`` when it passes one."""
    cfg = settings or get_settings()
    database = db or Database.from_settings(cfg)
    app = FastAPI(
        title="hashwatch",
        version="1",
        summary="Reports of cryptocurrency mining electricity from data centers to a regulator.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = cfg
    app.state.db = database
    app.add_exception_handler(HashwatchError, errors.hashwatch_error)
    app.add_exception_handler(RequestValidationError, errors.validation_error)
    app.add_exception_handler(StarletteHTTPException, errors.http_error)
    app.add_exception_handler(Exception, errors.unexpected_error)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=cfg.max_request_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware, hsts=cfg.serves_https)
    install_token_log_filter()  # notice-link tokens never reach the access log

    from hashwatch.services.accounts import prepare_sign_in
    from hashwatch.web.api import router as api_router
    from hashwatch.web.pages import router as pages_router

    prepare_sign_in()  # unknown users' sign-ins take as long as known users' from the first

    app.include_router(api_router)
    app.include_router(pages_router)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
