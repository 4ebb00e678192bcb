"""Error responses: JSON with the field at fault for the API, a page for browsers.

No stack trace ever reaches a user: unexpected exceptions are logged and answered with a
plain 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from hashwatch.errors import (
    AuditChainError,
    ConfigurationError,
    ConflictError,
    HashwatchError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
)

log = logging.getLogger("hashwatch.web")

STATUS = (
    (InputError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (PermissionDeniedError, 403),
    (ConfigurationError, 500),
    (AuditChainError, 500),
)


def status_for(exc: HashwatchError) -> int:
    """The HTTP status of an expected failure."""
    return next((code for kind, code in STATUS if isinstance(exc, kind)), 400)


def error_body(exc: HashwatchError) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": exc.message, "code": type(exc).__name__}
    if exc.field is not None:
        body["field"] = exc.field
    if exc.row is not None:
        body["row"] = exc.row
    problems = getattr(exc, "problems", None)
    if problems:
        body["problems"] = problems
    return body


def _page(request: Request, status_code: int, detail: str | None) -> Response | None:
    """The error as a page when a browser asked for one (not for the JSON API)."""
    from hashwatch.web.pages.common import error_page, wants_html

    return error_page(request, status_code, detail) if wants_html(request) else None


def body_too_large(request: Request, max_body_bytes: int) -> Response:
    """413 for a body above the size limit: the error page for a browser, else JSON."""
    detail = f"the request body is larger than {max_body_bytes} bytes"
    page = _page(request, 413, detail)
    return page or JSONResponse({"detail": detail, "code": "request.too_large"}, status_code=413)


async def hashwatch_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HashwatchError)
    page = _page(request, status_for(exc), exc.message)
    return page or JSONResponse(error_body(exc), status_code=status_for(exc))


_LOCATIONS = frozenset({"body", "query", "header", "path", "cookie"})


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()) if p not in _LOCATIONS),
            "message": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in exc.errors()
    ]
    first = problems[0] if problems else {"field": None, "message": "invalid request"}
    page = _page(request, 422, str(first["message"]))
    if page is not None:
        return page
    return JSONResponse(
        {
            "detail": f"{first['field']}: {first['message']}"
            if first["field"]
            else first["message"],
            "code": "InputError",
            "field": first["field"],
            "problems": problems,
        },
        status_code=422,
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    page = _page(request, exc.status_code, None)
    if page is not None:
        for name, value in (getattr(exc, "headers", None) or {}).items():
            page.headers[name] = value
        return page
    return JSONResponse(
        {"detail": exc.detail, "code": f"http.{exc.status_code}"},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def unexpected_error(request: Request, exc: Exception) -> Response:
    from hashwatch.web.security import redact_token_links

    path = redact_token_links(request.url.path)
    log.exception("unexpected error on %s %s", request.method, path)
    try:
        page = _page(request, 500, None)
    except Exception:  # the error page itself failed: answer plainly
        log.exception("the error page failed too")
        page = None
    if page is not None:
        return page
    return JSONResponse(
        {"detail": "internal error; it has been logged", "code": "internal"}, status_code=500
    )
