"""Signing in (``/login``) for the regulator's staff; ``/logout`` is the frame's.

A refused sign-in always says the same thing, whether the user exists, the password is
wrong or the user is locked (five failures from one client address lock the user for 15
minutes from that address only). A client address gets at most 20 attempts a minute, shared
with the API's ``POST /api/v1/session``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from hashwatch.errors import PermissionDeniedError
from hashwatch.services.accounts import end_session, login
from hashwatch.web.api.session import login_limiter
from hashwatch.web.csrf import SameOriginDep
from hashwatch.web.deps import DbDep, SessionDep
from hashwatch.web.pages.common import PageContext, page_context, render, set_session_cookie
from hashwatch.web.pages.routing import PageRoute

router = APIRouter(route_class=PageRoute)
HOME = "/notices"


def _local(target: str | None) -> str:
    """Only a path of this site is a place to go after signing in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME


def _form(
    ctx: PageContext,
    next_path: str,
    username: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    values = {"next_path": _local(next_path), "username": username, "error": error}
    return render(ctx, "regulator/login.html", values, status_code=status)


@router.get("/login")
def login_page(
    request: Request, session: SessionDep, next_path: Annotated[str, Query(alias="next")] = HOME
) -> Response:
    if session is not None and session.principal.is_regulator:
        return RedirectResponse(_local(next_path), status_code=303)
    return _form(page_context(request, session), next_path)


@router.post("/login")
def sign_in(
    *,
    request: Request,
    db: DbDep,
    session: SessionDep,
    _: SameOriginDep,
    username: str = Form(""),
    password: str = Form(""),
    next_path: str = Form(HOME),
) -> Response:
    ctx = page_context(request, session)
    client = request.client.host if request.client else "unknown"
    wait = login_limiter(request).retry_after_s(client)
    if wait is not None:
        error = ctx._("Too many sign-in attempts from your address. Wait %(s)s seconds.")
        response = _form(ctx, next_path, username, error % {"s": wait}, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        info = login(db, username, password, client_address=client)
    except PermissionDeniedError:
        error = ctx._("Wrong user name or password, or the user is locked for a while.")
        return _form(ctx, next_path, username, error, 403)
    if session is not None:
        end_session(db, session.session_id)  # one live session per browser
    response = RedirectResponse(_local(next_path), status_code=303)
    set_session_cookie(response, request, info.session_id, info.expires_at)
    return response
