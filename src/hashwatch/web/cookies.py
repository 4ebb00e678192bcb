"""The cookies the app sets: the session cookie and the language cookie.

Whether they are ``Secure`` does not follow the request's scheme (behind a TLS proxy on
another host every request arrives over plain HTTP) but the deployment:
:attr:`~hashwatch.settings.Settings.serves_https`, which is ``HASHWATCH_SECURE_COOKIES`` or,
by default, whether ``HASHWATCH_PUBLIC_URL`` is ``https://``. Then the session cookie is
named with the ``__Host-`` prefix (the browser keeps it only if it is ``Secure``, for
``Path=/`` and without ``Domain``, so that no sibling host can plant or overwrite it), and
HSTS is sent (:mod:`hashwatch.web.security`). Development over ``http://127.0.0.1`` keeps the
plain name.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from starlette.requests import HTTPConnection
from starlette.responses import Response

from hashwatch.settings import Settings

#: The session cookie's name over plain HTTP, and over HTTPS.
SESSION_COOKIE: Final = "hashwatch_session"
SECURE_SESSION_COOKIE: Final = f"__Host-{SESSION_COOKIE}"
LOCALE_COOKIE: Final = "hashwatch_locale"
ONE_YEAR_S: Final = 365 * 24 * 3600


def session_cookie_name(settings: Settings) -> str:
    """``__Host-hashwatch_session`` when the app is served over HTTPS, else the plain name."""
    return SECURE_SESSION_COOKIE if settings.serves_https else SESSION_COOKIE


def app_settings(connection: HTTPConnection) -> Settings:
    """The settings of the app serving a request."""
    settings = connection.app.state.settings
    assert isinstance(settings, Settings)
    return settings


def set_session_cookie(
    response: Response, settings: Settings, session_id: str, expires_at: dt.datetime
) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Path=/, no Domain; Secure over HTTPS."""
    response.set_cookie(
        session_cookie_name(settings),
        session_id,
        max_age=max(0, int((expires_at - dt.datetime.now(dt.UTC)).total_seconds())),
        httponly=True,
        samesite="lax",
        secure=settings.serves_https,
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Tell the browser to drop the session cookie (with the attributes it was set with)."""
    response.delete_cookie(
        session_cookie_name(settings),
        path="/",
        secure=settings.serves_https,
        httponly=True,
        samesite="lax",
    )


def set_locale_cookie(response: Response, settings: Settings, locale: str) -> None:
    """Remember the chosen language for a year (also before any sign-in)."""
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        max_age=ONE_YEAR_S,
        httponly=True,
        samesite="lax",
        secure=settings.serves_https,
        path="/",
    )
