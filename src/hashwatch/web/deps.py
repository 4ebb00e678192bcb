"""Request dependencies: the database, the caller (principal) and its permissions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hashwatch.accounts.principal import Principal
from hashwatch.errors import PermissionDeniedError
from hashwatch.services.accounts import SessionInfo, api_token_principal, resolve_session
from hashwatch.settings import Settings
from hashwatch.store.engine import Database

SESSION_COOKIE = "hashwatch_session"


def get_db(request: Request) -> Database:
    db = request.app.state.db
    assert isinstance(db, Database)
    return db


def get_settings(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def current_session(request: Request, db: DbDep) -> SessionInfo | None:
    """The browser session of the request's cookie, if it is live."""
    cookie = request.cookies.get(SESSION_COOKIE)
    return resolve_session(db, cookie) if cookie else None


SessionDep = Annotated[SessionInfo | None, Depends(current_session)]


def current_principal(request: Request, db: DbDep, session: SessionDep) -> Principal:
    """The caller: an API token (``Authorization: Bearer``) or a browser session."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise PermissionDeniedError("use Authorization: Bearer <API token>")
        return api_token_principal(db, credentials)
    if session is None:
        raise PermissionDeniedError("sign in, open your notice link, or send an API token")
    return session.principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def regulator(principal: PrincipalDep) -> Principal:
    """Only regulator users (admin, analyst) pass."""
    if not principal.is_regulator:
        raise PermissionDeniedError("only the regulator's staff may do this")
    return principal


RegulatorDep = Annotated[Principal, Depends(regulator)]
