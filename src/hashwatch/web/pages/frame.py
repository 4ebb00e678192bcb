"""Routes of the page frame: the language switch and logout."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from hashwatch.i18n import LOCALES
from hashwatch.services.accounts import end_session, set_locale
from hashwatch.web.cookies import app_settings, clear_session_cookie, set_locale_cookie
from hashwatch.web.csrf import CsrfDep
from hashwatch.web.deps import DbDep, SessionDep, SettingsDep
from hashwatch.web.pages.common import page_context, render
from hashwatch.web.pages.routing import PageRoute

router = APIRouter(route_class=PageRoute)


def _back(target: str) -> str:
    """Only a local path is a place to go back to (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/report"


@router.post("/lang")
def switch_language(
    request: Request,
    db: DbDep,
    session: SessionDep,
    _csrf: CsrfDep,
    locale: str = Form(),
    back: str = Form("/report"),
) -> Response:
    """Store the chosen language in the session (and for a regulator user, the user)."""
    ctx = page_context(request, session)
    chosen = locale if locale in LOCALES else ctx.locale
    if session is not None:
        set_locale(db, session.session_id, chosen)
    response = RedirectResponse(_back(back), status_code=303)
    set_locale_cookie(response, app_settings(request), chosen)
    return response


@router.post("/logout")
def logout(db: DbDep, settings: SettingsDep, session: SessionDep, _csrf: CsrfDep) -> Response:
    if session is not None:
        end_session(db, session.session_id)
    response = RedirectResponse("/logged-out", status_code=303)
    clear_session_cookie(response, settings)
    return response


@router.get("/logged-out")
def logged_out(request: Request) -> Response:
    return render(page_context(request, None), "reporter/logged_out.html")
