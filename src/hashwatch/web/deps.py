"""Request dependencies: the database, the caller (principal) and its permissions.

A request is authenticated by, in this order:

* ``Authorization: Bearer hwt_...``: an organization's API token (all its facilities);
* ``Authorization: Bearer <other>``: a recipient's notice access token (one facility of one
  notice; expired tokens are refused, a closed notice's token may still read receipts);
* the session cookie (``hashwatch_session``, or ``__Host-hashwatch_session`` over HTTPS,
  see :mod:`hashwatch.web.cookies`): a regulator user, a recipient who came through its
  notice link, or an organization signed in with its API token.

Unsafe methods authenticated by the cookie must carry the session's CSRF token
(:mod:`hashwatch.web.csrf`); Bearer requests are exempt.

Regulator users are admins or analysts. :data:`RegulatorDep` lets both through (reading,
reviewing, reminding); :data:`AdminDep` only admins (the registry import, creating a notice,
adding its recipients, issuing it, resending a token, closing it). The API routes and the
pages use the same two dependencies, so the rule lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, HTTPException, Request

from hashwatch.accounts.principal import Principal
from hashwatch.errors import PermissionDeniedError
from hashwatch.i18n import N_
from hashwatch.services.accounts import (
    API_TOKEN_PREFIX,
    SessionInfo,
    recipient_token_principal,
    resolve_session,
)
from hashwatch.services.api_tokens import api_token_principal
from hashwatch.settings import Settings
from hashwatch.store.engine import Database
from hashwatch.web.cookies import app_settings, session_cookie_name

#: The refusal of an admin-only action: translated on the error page, as is in the API.
ADMIN_ONLY: Final = N_(
    "Only an administrator may do this. Analysts read everything, review reports and send "
    "reminders."
)


async def get_db(request: Request) -> Database:
    db = request.app.state.db
    assert isinstance(db, Database)
    return db


async def get_settings(request: Request) -> Settings:
    # the cheap dependencies are ``async``: FastAPI runs a plain ``def`` one in a worker
    # thread, a hop that costs more than the dependency itself
    return app_settings(request)


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def current_session(request: Request, db: DbDep) -> SessionInfo | None:
    """The browser session of the request's cookie, if it is live."""
    cookie = request.cookies.get(session_cookie_name(app_settings(request)))
    return resolve_session(db, cookie) if cookie else None


SessionDep = Annotated[SessionInfo | None, Depends(current_session)]


@dataclass(frozen=True)
class Caller:
    """Who is calling, and the browser session when the cookie authenticated the request."""

    principal: Principal
    session: SessionInfo | None


def bearer_credentials(request: Request) -> str | None:
    """The credentials of ``Authorization: Bearer ...``; 401 for another scheme."""
    header = request.headers.get("authorization", "")
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise _unauthenticated("use Authorization: Bearer <API token or notice access token>")
    return credentials.strip()


def _unauthenticated(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: Request, db: DbDep) -> Caller:
    """The caller of a request (see the module docstring); 401 when there is none."""
    credentials = bearer_credentials(request)
    if credentials is not None:
        if credentials.startswith(API_TOKEN_PREFIX):
            return Caller(api_token_principal(db, credentials), None)
        return Caller(recipient_token_principal(db, credentials), None)
    session = current_session(request, db)
    if session is None:
        raise _unauthenticated("sign in, open your notice link, or send a Bearer token")
    return Caller(session.principal, session)


async def checked_caller(
    request: Request, caller: Annotated[Caller, Depends(authenticate)]
) -> Caller:
    """The caller, after the CSRF check of unsafe requests made with the session cookie."""
    from hashwatch.web.csrf import require_csrf

    if caller.session is not None:
        await require_csrf(request, caller.session)
    return caller


CallerDep = Annotated[Caller, Depends(checked_caller)]


async def current_principal(caller: CallerDep) -> Principal:
    """The caller's principal (authenticated, CSRF-checked)."""
    return caller.principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def regulator(principal: PrincipalDep) -> Principal:
    """Only regulator users (admin, analyst) pass."""
    if not principal.is_regulator:
        raise PermissionDeniedError("only the regulator's staff may do this")
    return principal


RegulatorDep = Annotated[Principal, Depends(regulator)]


async def reporting_entity(principal: PrincipalDep) -> Principal:
    """Only reporting entities (a recipient, or an organization) pass: they file reports."""
    if principal.is_regulator:
        raise PermissionDeniedError(
            "reports are filed by the reporting entity (its notice link or API token), "
            "not by the regulator's staff"
        )
    return principal


EntityDep = Annotated[Principal, Depends(reporting_entity)]


def require_admin(principal: Principal) -> None:
    """The role rule: only a regulator admin passes (403 for analysts and entities)."""
    if not principal.is_admin:
        raise PermissionDeniedError(ADMIN_ONLY)


async def admin(principal: RegulatorDep) -> Principal:
    """Only regulator admins pass: managing the registry and the notices' life cycle."""
    require_admin(principal)
    return principal


AdminDep = Annotated[Principal, Depends(admin)]
