"""CSRF protection for requests authenticated by the session cookie.

Every unsafe request (POST, PUT, PATCH, DELETE) made with the session cookie must carry the
session's CSRF token, in the ``X-CSRF-Token`` header (the API, htmx) or the ``csrf_token``
form field (HTML forms). Bearer-authenticated requests are exempt: a browser
never adds an ``Authorization`` header by itself. Logging in has no session yet, so it is
checked by :func:`require_same_origin` instead.

Pages use :data:`CsrfDep` on their form handlers::

    @router.post("/notices/{ref}/close")
    def close(ref: str, _: CsrfDep, principal: RegulatorDep) -> Response: ...
"""

from __future__ import annotations

import secrets
from typing import Annotated, Final
from urllib.parse import urlsplit

from fastapi import Depends, Request

from hashwatch.errors import PermissionDeniedError
from hashwatch.services.accounts import SessionInfo
from hashwatch.web.cookies import app_settings
from hashwatch.web.deps import SessionDep

CSRF_HEADER: Final = "x-csrf-token"
CSRF_FIELD: Final = "csrf_token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")


async def submitted_token(request: Request) -> str | None:
    """The CSRF token a request carries: the header, else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(_FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def require_csrf(request: Request, session: SessionInfo) -> None:
    """Refuse (403) an unsafe request whose CSRF token is not the session's."""
    if request.method in SAFE_METHODS:
        return
    given = await submitted_token(request)
    if not given or not secrets.compare_digest(given.encode(), session.csrf_token.encode()):
        raise PermissionDeniedError(
            f"missing or wrong CSRF token: send the X-CSRF-Token header or the {CSRF_FIELD} "
            "form field of your session",
            field=CSRF_FIELD,
        )


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url.strip())
    return parts.scheme.lower(), parts.netloc.lower()


def require_same_origin(request: Request) -> None:
    """Refuse (403) a cross-site request, judged by ``Sec-Fetch-Site`` and ``Origin``.

    Either header may be missing (non-browser clients); when present it must say the
    request comes from this site: the address the request reached, or the deployment's
    public URL (behind a TLS proxy the browser's origin is ``https://`` while the request
    reaches the app over plain HTTP, perhaps under another host name).
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise PermissionDeniedError(f"cross-site request refused ({fetch_site})", field="origin")
    origin = request.headers.get("origin")
    if origin is not None:
        ours = {_origin(str(request.url)), _origin(app_settings(request).public_url)}
        if _origin(origin) not in ours:
            raise PermissionDeniedError(f"cross-origin request refused ({origin})", field="origin")


async def csrf_protect(request: Request, session: SessionDep) -> None:
    """Dependency for form handlers: the CSRF check when a live session cookie is sent."""
    if session is not None:
        await require_csrf(request, session)


CsrfDep = Annotated[None, Depends(csrf_protect)]
SameOriginDep = Annotated[None, Depends(require_same_origin)]
