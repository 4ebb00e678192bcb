"""Organizations' API tokens: created (the secret shown once, only its hash stored), listed,
revoked (ending the organization's browser sessions), and used — as a Bearer credential of the
API or to open a browser session for bulk upload. Every change is audited."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from hashwatch.accounts.models import ApiToken, SessionKind, WebSession
from hashwatch.accounts.principal import Principal
from hashwatch.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from hashwatch.reporting import audit
from hashwatch.reporting.canonical import sha256_hex
from hashwatch.reporting.models import Organization
from hashwatch.services.accounts import (
    API_TOKEN_PREFIX,
    ORGANIZATION_SESSION_TTL,
    SessionInfo,
    new_session,
    organization_principal,
)
from hashwatch.services.session_purge import SIGN_IN_PURGE_ACTOR, purge_in
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow


def create_api_token(
    db: Database, organization_uscc: str, name: str, *, actor: str
) -> tuple[str, dict[str, Any]]:
    """A new API token for an organization; the secret is returned once and never stored."""
    if not name.strip():
        raise InputError("give the token a name", field="name")
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.transaction() as session:
        org = session.execute(
            select(Organization).where(Organization.uscc == organization_uscc)
        ).scalar_one_or_none()
        if org is None:
            raise NotFoundError(
                f"no organization with code {organization_uscc!r}", field="organization_uscc"
            )
        token = ApiToken(
            organization=org,
            name=name.strip(),
            prefix=secret[:12],
            token_sha256=sha256_hex(secret),
            created_by=actor,
        )
        session.add(token)
        session.flush()
        summary = _token_summary(token)
        audit.record(
            session,
            actor=actor,
            action="api_token.create",
            object_type="api_token",
            object_id=token.id,
            after=summary,
        )
        return secret, summary


def _token_summary(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "organization_uscc": token.organization.uscc,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "revoked_at": token.revoked_at,
    }


def revoke_api_token(db: Database, token_id: int, *, actor: str) -> dict[str, Any]:
    with db.transaction() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise NotFoundError(f"no API token {token_id}", field="token_id")
        if token.revoked_at is not None:
            raise ConflictError(f"API token {token_id} is already revoked")
        token.revoked_at = utcnow()
        # Browser sessions opened with the organization's tokens end too (the safe side: a
        # revoked token must not live on in a cookie).
        session.execute(
            delete(WebSession).where(
                WebSession.kind == SessionKind.ORGANIZATION,
                WebSession.organization_id == token.organization_id,
            )
        )
        summary = _token_summary(token)
        audit.record(
            session,
            actor=actor,
            action="api_token.revoke",
            object_type="api_token",
            object_id=token.id,
            after=summary,
        )
        return summary


def list_api_tokens(db: Database) -> list[dict[str, Any]]:
    with db.read() as session:
        tokens = session.execute(
            select(ApiToken).options(joinedload(ApiToken.organization)).order_by(ApiToken.id)
        ).scalars()
        return [_token_summary(t) for t in tokens]


def _live_api_token(session: Session, secret: str) -> ApiToken:
    token = session.execute(
        select(ApiToken)
        .where(ApiToken.token_sha256 == sha256_hex(secret.strip()))
        .options(joinedload(ApiToken.organization))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None:
        raise PermissionDeniedError("the API token is not valid", field="token")
    return token


def api_token_principal(db: Database, secret: str) -> Principal:
    """The organization an API token acts for, with its facilities; refuses revoked ones."""
    with db.read() as session:
        token = _live_api_token(session, secret)
        return organization_principal(session, token.organization)


def enter_with_api_token(db: Database, secret: str, *, locale: str | None = None) -> SessionInfo:
    """Open a browser session for an organization from one of its API tokens (bulk upload).

    The session acts for every facility of the organization, like the token; revoking the
    token does not end sessions already open (they expire after four hours).
    """
    with db.transaction() as session:
        token = _live_api_token(session, secret)
        purge_in(session, utcnow(), actor=SIGN_IN_PURGE_ACTOR)
        info = new_session(
            session,
            organization_principal(session, token.organization),
            kind=SessionKind.ORGANIZATION,
            ttl=ORGANIZATION_SESSION_TTL,
            organization_id=token.organization_id,
            locale=locale,
        )
        audit.record(
            session,
            actor=f"org:{token.organization.uscc}",
            action="api_token.session",
            object_type="api_token",
            object_id=token.id,
        )
        return info
