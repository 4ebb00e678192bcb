"""Signing in and out (``/api/v1/session``) and who the caller is (``/api/v1/me``)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from hashwatch.services import accounts, views
from hashwatch.web.api.models import ErrorBody, LoginIn, MeOut, MyRecipient, SessionOut
from hashwatch.web.api.routing import ApiRoute, errors
from hashwatch.web.cookies import clear_session_cookie, set_session_cookie
from hashwatch.web.csrf import SameOriginDep
from hashwatch.web.deps import CallerDep, DbDep, SettingsDep

LOGIN_ATTEMPTS_PER_WINDOW: Final = 20
LOGIN_WINDOW_S: Final = 60.0

router = APIRouter(prefix="/api/v1", tags=["session"], route_class=ApiRoute)


class LoginLimiter:
    """At most ``attempts`` logins per client address in a sliding window (in memory)."""

    def __init__(self, attempts: int = LOGIN_ATTEMPTS_PER_WINDOW, window_s: float = LOGIN_WINDOW_S):
        self.attempts = attempts
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after_s(self, client: str, now: float | None = None) -> int | None:
        """Count an attempt; None if allowed, else the seconds to wait."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= moment - self.window_s:
                hits.popleft()
            if len(hits) >= self.attempts:
                return max(1, math.ceil(hits[0] + self.window_s - moment))
            hits.append(moment)
            if len(self._hits) > 10_000:  # forget idle clients
                for key in [k for k, v in self._hits.items() if not v]:
                    del self._hits[key]
            return None


def login_limiter(request: Request) -> LoginLimiter:
    """The app's limiter (made on first use)."""
    limiter = getattr(request.app.state, "login_limiter", None)
    if not isinstance(limiter, LoginLimiter):
        limiter = LoginLimiter()
        request.app.state.login_limiter = limiter
    return limiter


def _session_out(info: accounts.SessionInfo) -> SessionOut:
    principal = info.principal
    return SessionOut(
        kind=principal.kind,
        name=principal.name,
        role=principal.role.value if principal.role else None,
        csrf_token=info.csrf_token,
        expires_at=info.expires_at,
    )


@router.post(
    "/session",
    summary="Sign in (regulator staff)",
    response_model=SessionOut,
    responses=errors(403, 413, 422, 429),
)
def login(
    body: LoginIn, request: Request, db: DbDep, settings: SettingsDep, _: SameOriginDep
) -> Response:
    """Check the user name and password and set the session cookie (HttpOnly, SameSite=Lax;
    Secure and named ``__Host-hashwatch_session`` when the app is served over HTTPS). The
    answer carries the CSRF token to send as ``X-CSRF-Token``.

    Five wrong passwords from one client address lock the user for 15 minutes from that
    address only; an address gets 20 attempts a minute (429 with ``Retry-After``)."""
    client = request.client.host if request.client else "unknown"
    wait = login_limiter(request).retry_after_s(client)
    if wait is not None:
        body_429 = ErrorBody(detail=f"too many login attempts: wait {wait} s", code="http.429")
        return JSONResponse(
            body_429.model_dump(exclude_none=True),
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    info = accounts.login(db, body.username, body.password, client_address=client)
    response = JSONResponse(_session_out(info).model_dump(mode="json"))
    set_session_cookie(response, settings, info.session_id, info.expires_at)
    return response


@router.delete(
    "/session", summary="Sign out", status_code=204, responses=errors(401, 403, 413, 422)
)
def logout(caller: CallerDep, db: DbDep, settings: SettingsDep) -> Response:
    """End the browser session at once and clear its cookie (needs the CSRF token)."""
    if caller.session is not None:
        accounts.end_session(db, caller.session.session_id)
    response = Response(status_code=204)
    clear_session_cookie(response, settings)
    return response


@router.get("/me", summary="Who am I", response_model=MeOut, responses=errors(401, 403))
def me(caller: CallerDep, db: DbDep) -> MeOut:
    """The caller, and for a reporting entity every notice/facility pair it may act for."""
    principal = caller.principal
    return MeOut(
        kind=principal.kind,
        name=principal.name,
        role=principal.role.value if principal.role else None,
        recipients=[MyRecipient(**p) for p in views.recipients_of(db, principal)],
    )
