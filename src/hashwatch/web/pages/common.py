"""What every page shares: template rendering, locale, flash messages, CSRF, error pages.

One Jinja2 environment per locale (autoescaped, ``jinja2.ext.i18n`` with that locale's
catalog installed), built on first use. Page handlers call :func:`page_context` and then
:func:`render`; they never touch SQL (services do).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from hashwatch.i18n import LANGUAGE_NAMES, LOCALES, N_, Formatter, choose_locale, load_translations
from hashwatch.services.accounts import SessionInfo
from hashwatch.web import cookies
from hashwatch.web.finding_text import FindingText
from hashwatch.web.finding_titles import FINDING_TITLES

TEMPLATE_DIR: Final = Path(__file__).parent.parent / "templates"
LOCALE_COOKIE: Final = "hashwatch_locale"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "x-csrf-token"


#: Flash messages shown after a redirect (``?done=<key>``); only these keys are shown.
FLASH: Final = {
    "draft_saved": N_("Your draft was saved."),
    "submitted": N_("Your report was filed. Keep the receipt."),
    "language": N_("The language was changed."),
}


class Templates:
    """The Jinja2 environments, one per locale, with their gettext catalogs."""

    def __init__(self, directory: Path = TEMPLATE_DIR) -> None:
        self.translations = load_translations()
        self.environments: dict[str, jinja2.Environment] = {}
        for locale in LOCALES:
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(directory),
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                extensions=["jinja2.ext.i18n"],
            )
            env.install_gettext_translations(  # type: ignore[attr-defined]
                self.translations[locale], newstyle=True
            )
            finding_text = FindingText(locale, self.translations[locale])
            translate = self.translations[locale].gettext
            env.globals.update(
                # titles hold a literal "%" ("0–100 %"): translated without the %-formatting
                # that Jinja's newstyle ``_()`` always applies
                finding_title=lambda code, translate=translate: translate(FINDING_TITLES[code]),
                locales=LOCALES,
                language_names=LANGUAGE_NAMES,
                finding_titles=FINDING_TITLES,
                finding_message=finding_text.message,
                row_problem_message=finding_text.row_problem_message,
            )
            self.environments[locale] = env

    def render(self, locale: str, name: str, values: dict[str, Any]) -> str:
        return self.environments[locale].get_template(name).render(values)


@functools.cache
def templates() -> Templates:
    """The app's templates, with catalogs compiled once on first use."""
    return Templates()


@dataclass(frozen=True)
class PageContext:
    """A request as the pages see it: session (if any), locale and formatter."""

    request: Request
    session: SessionInfo | None
    locale: str
    fmt: Formatter

    def _(self, message: str) -> str:
        """Translate a message of page code for this request's locale."""
        return templates().translations[self.locale].gettext(message)

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token if self.session else ""

    def csrf_field(self) -> Markup:
        """The hidden form field carrying the session's CSRF token."""
        return Markup('<input type="hidden" name="{}" value="{}">').format(
            CSRF_FIELD, self.csrf_token
        )


def request_locale(request: Request, session: SessionInfo | None) -> str:
    return choose_locale(
        session.locale if session else None,
        request.cookies.get(LOCALE_COOKIE),
        request.headers.get("accept-language"),
    )


def page_context(request: Request, session: SessionInfo | None) -> PageContext:
    locale = request_locale(request, session)
    return PageContext(request, session, locale, Formatter(locale))


def render(
    ctx: PageContext, name: str, values: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """A page (or an htmx fragment) for the request's locale."""
    flash_key = ctx.request.query_params.get("done", "")
    flash = ctx._(FLASH[flash_key]) if flash_key in FLASH else None
    body = templates().render(
        ctx.locale,
        name,
        {
            "ctx": ctx,
            "fmt": ctx.fmt,
            "locale": ctx.locale,
            "principal": ctx.session.principal if ctx.session else None,
            "flash": flash,
            "path": ctx.request.url.path,
            **(values or {}),
        },
    )
    return HTMLResponse(body, status_code=status_code)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def set_session_cookie(
    response: Response, request: Request, session_id: str, expires_at: dt.datetime
) -> None:
    """The session cookie (see :mod:`hashwatch.web.cookies`)."""
    cookies.set_session_cookie(response, cookies.app_settings(request), session_id, expires_at)


# --- error pages --------------------------------------------------------------------------

ERROR_TITLES: Final = {
    400: N_("The request could not be understood"),
    403: N_("You may not open this page"),
    404: N_("Page not found"),
    409: N_("This cannot be done now"),
    413: N_("The upload is too large"),
    422: N_("Some input was not valid"),
    500: N_("Something went wrong on our side"),
}


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not the JSON API)."""
    if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status_code: int, detail: str | None = None) -> HTMLResponse:
    """An error as a page; 5xx never shows a detail (it may leak internals)."""
    locale = choose_locale(
        None, request.cookies.get(LOCALE_COOKIE), request.headers.get("accept-language")
    )
    ctx = PageContext(request, None, locale, Formatter(locale))
    title = ctx._(ERROR_TITLES.get(status_code, ERROR_TITLES[400 if status_code < 500 else 500]))
    shown = None if status_code >= 500 or not detail else ctx._(detail)  # as is if unknown
    return render(
        ctx,
        "errors/error.html",
        {"status_code": status_code, "title": title, "detail": shown},
        status_code=status_code,
    )
