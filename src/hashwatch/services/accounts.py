"""Regulator users, web sessions and organization API tokens.

Passwords are hashed with argon2id (``argon2-cffi``); session ids and API tokens are random
256-bit secrets of which only the SHA-256 is stored. Five failed logins from one client
address lock the user for 15 minutes from that address (:mod:`.login_throttle`). Expired
sessions are deleted at each sign-in and by ``hashwatch user purge-sessions``. Every change
is audited; secrets never appear in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass
from typing import Any, Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from hashwatch.accounts.models import Role, SessionKind, User, WebSession
from hashwatch.accounts.principal import Principal
from hashwatch.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from hashwatch.reporting import audit
from hashwatch.reporting.canonical import sha256_hex
from hashwatch.reporting.models import Facility, Organization, Recipient
from hashwatch.services import login_throttle
from hashwatch.services.login_throttle import UNKNOWN_ADDRESS
from hashwatch.services.lookup import hash_token, recipient_for_token
from hashwatch.services.session_purge import SIGN_IN_PURGE_ACTOR, purge_in
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow

MIN_PASSWORD_CHARS: Final = 12
USER_SESSION_TTL: Final = dt.timedelta(hours=12)
RECIPIENT_SESSION_TTL: Final = dt.timedelta(hours=4)
ORGANIZATION_SESSION_TTL: Final = dt.timedelta(hours=4)
API_TOKEN_PREFIX: Final = "hwt_"  # noqa: S105 (a visible prefix, not a secret)
LOCALES: Final = ("zh", "en")

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown users' passwords against, so that they take as long as known
    users'. Made on first use, not at import: hashing takes about 0.1 s by design, which
    every command and every web worker would otherwise pay."""
    return _hasher.hash("an unused password, to spend the same time on unknown users")


def prepare_sign_in() -> None:
    """Make that hash now: a server calls this when it starts, so that no sign-in pays for
    it (the first unknown user's would otherwise take twice as long as a known user's)."""
    _dummy_hash()


@dataclass(frozen=True)
class SessionInfo:
    session_id: str
    csrf_token: str
    principal: Principal
    locale: str | None
    expires_at: dt.datetime


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(
            f"the password must have at least {MIN_PASSWORD_CHARS} characters", field="password"
        )


def _check_locale(locale: str | None) -> None:
    if locale is not None and locale not in LOCALES:
        raise InputError(f"locale must be one of {', '.join(LOCALES)}", field="locale")


def user_summary(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "locale": user.locale,
        "active": user.active,
        "last_login_at": user.last_login_at,
    }


def add_user(
    db: Database,
    username: str,
    password: str,
    *,
    role: Role,
    actor: str,
    display_name: str | None = None,
    locale: str | None = None,
) -> dict[str, Any]:
    """Create a regulator user."""
    username = username.strip()
    if not username or len(username) > 64:
        raise InputError("the username must have 1 to 64 characters", field="username")
    _check_password(password)
    _check_locale(locale)
    with db.transaction() as session:
        if session.execute(select(User.id).where(User.username == username)).first():
            raise ConflictError(f"user {username!r} exists", field="username")
        user = User(
            username=username,
            display_name=(display_name or username).strip(),
            password_hash=_hasher.hash(password),
            role=role,
            locale=locale,
        )
        session.add(user)
        session.flush()
        summary = user_summary(user)
        audit.record(
            session,
            actor=actor,
            action="user.create",
            object_type="user",
            object_id=username,
            after=summary,
        )
        return summary


def set_password(db: Database, username: str, password: str, *, actor: str) -> None:
    """Replace a user's password and unlock the user."""
    _check_password(password)
    with db.transaction() as session:
        user = _user(session, username)
        user.password_hash = _hasher.hash(password)
        login_throttle.clear_failures(session, user)  # unlocks the user from every address
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        audit.record(
            session, actor=actor, action="user.password", object_type="user", object_id=username
        )


def list_users(db: Database) -> list[dict[str, Any]]:
    with db.read() as session:
        users = session.execute(select(User).order_by(User.username)).scalars()
        return [user_summary(u) for u in users]


def _user(session: Any, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFoundError(f"no user {username!r}", field="username")
    assert isinstance(user, User)
    return user


def new_session(
    session: Any,
    principal: Principal,
    *,
    kind: SessionKind,
    ttl: dt.timedelta,
    user_id: int | None = None,
    recipient_id: int | None = None,
    organization_id: int | None = None,
    locale: str | None = None,
) -> SessionInfo:
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = utcnow() + ttl
    session.add(
        WebSession(
            id_sha256=sha256_hex(secret),
            kind=kind,
            user_id=user_id,
            recipient_id=recipient_id,
            organization_id=organization_id,
            csrf_token=csrf,
            locale=locale,
            expires_at=expires,
        )
    )
    return SessionInfo(secret, csrf, principal, locale, expires)


def user_principal(user: User) -> Principal:
    return Principal("user", user.username, role=user.role, user_id=user.id)


def login(
    db: Database,
    username: str,
    password: str,
    *,
    client_address: str = UNKNOWN_ADDRESS,
    now: dt.datetime | None = None,
) -> SessionInfo:
    """Check a password and open a session (and delete expired ones).

    Five failures from one client address lock the user for 15 minutes from that address;
    a locked user gets the same answer as a wrong password.
    """
    moment = now or utcnow()
    refused = PermissionDeniedError("wrong user name or password")
    name = username.strip()
    # argon2 runs outside any write transaction: a flood of sign-ins must not hold the
    # database's (or SQLite's in-process) write lock while it hashes
    with db.read() as session:
        found = session.execute(select(User).where(User.username == name)).scalar_one_or_none()
        checked_hash = found.password_hash if found is not None and found.active else None
        locked = found is not None and login_throttle.is_locked(
            session, found, client_address, moment
        )
    if checked_hash is None:
        _verify(_dummy_hash(), password)
        raise refused
    password_ok = _verify(checked_hash, password)
    if locked:
        # Same answer and same work as a wrong password: the reply must not tell an
        # attacker which user names exist or that one is locked.
        raise refused
    with db.transaction() as session:
        user = session.execute(
            select(User).where(User.username == name).with_for_update()
        ).scalar_one_or_none()
        if user is None or not user.active:
            raise refused
        if user.password_hash != checked_hash:  # changed meanwhile: check the new one
            password_ok = _verify(user.password_hash, password)
        if not password_ok:
            login_throttle.count_failure(session, user, client_address, moment)
            refusal = refused
        else:
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            login_throttle.clear_failures(session, user, client_address)
            user.last_login_at = moment
            audit.record(
                session,
                actor=f"user:{user.username}",
                action="user.login",
                object_type="user",
                object_id=user.username,
            )
            purge_in(session, moment, actor=SIGN_IN_PURGE_ACTOR)
            return new_session(
                session,
                user_principal(user),
                kind=SessionKind.USER,
                ttl=USER_SESSION_TTL,
                user_id=user.id,
                locale=user.locale,
            )
    raise refusal  # committed the failure count first


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def recipient_principal(recipient: Recipient) -> Principal:
    facility = recipient.facility
    return _recipient_principal(recipient.id, facility.id, facility.code, facility.organization_id)


def _recipient_principal(
    recipient_id: int, facility_id: int, facility_code: str, organization_id: int
) -> Principal:
    return Principal(
        "recipient",
        f"recipient:{facility_code}",
        recipient_id=recipient_id,
        organization_id=organization_id,
        facility_ids=frozenset({facility_id}),
    )


def recipient_token_principal(db: Database, token: str) -> Principal:
    """The recipient an access token belongs to, as a principal (API calls with the token).

    Unknown and expired tokens are refused. A closed notice's token still identifies its
    recipient, so that it can read its receipts; the services refuse filing on a closed notice.
    """
    # Every API call with a notice link's token passes here: one light column query (no ORM
    # objects), with the same refusals as :func:`recipient_for_token`.
    with db.read() as session:
        row = session.execute(
            select(
                Recipient.id,
                Recipient.facility_id,
                Recipient.token_expires_at,
                Facility.code,
                Facility.organization_id,
            )
            .join(Facility, Facility.id == Recipient.facility_id)
            .where(Recipient.token_sha256 == hash_token(token.strip()))
        ).one_or_none()
    if row is None:
        raise PermissionDeniedError("the access token is not valid", field="token")
    recipient_id, facility_id, expires_at, code, organization_id = row
    if expires_at is not None and utcnow() > expires_at:
        raise PermissionDeniedError(
            f"the access token expired at {expires_at.isoformat()}", field="token"
        )
    return _recipient_principal(recipient_id, facility_id, code, organization_id)


@dataclass(frozen=True)
class LinkTarget:
    """Whom a notice link signs in: one facility of one notice."""

    recipient_id: int
    facility_code: str
    facility_name: str
    notice_ref: str


def notice_link_target(db: Database, token: str) -> LinkTarget:
    """Whom a notice link is for, changing nothing; refuses what :func:`enter_with_token`
    refuses (unknown, expired, closed notice)."""
    with db.read() as session:
        recipient = recipient_for_token(session, token)
        facility = recipient.facility
        return LinkTarget(recipient.id, facility.code, facility.name, recipient.notice.ref)


def enter_with_token(
    db: Database, token: str, *, locale: str | None = None, ending: str | None = None
) -> SessionInfo:
    """Open a session bound to one facility of one notice from its access token; the
    browser's previous session ``ending`` (its id) ends in the same transaction, so a
    browser never holds two live sessions."""
    with db.transaction() as session:
        recipient = recipient_for_token(session, token)
        if ending is not None:
            session.execute(delete(WebSession).where(WebSession.id_sha256 == sha256_hex(ending)))
        return new_session(
            session,
            recipient_principal(recipient),
            kind=SessionKind.RECIPIENT,
            ttl=RECIPIENT_SESSION_TTL,
            recipient_id=recipient.id,
            locale=locale,
        )


def resolve_session(
    db: Database, session_id: str, *, now: dt.datetime | None = None
) -> SessionInfo | None:
    """The live session of a cookie value, or None (unknown, expired, user disabled)."""
    moment = now or utcnow()
    with db.read() as session:
        row = session.execute(
            select(WebSession)
            .where(WebSession.id_sha256 == sha256_hex(session_id))
            .options(
                joinedload(WebSession.user),
                joinedload(WebSession.recipient).joinedload(Recipient.facility),
                joinedload(WebSession.organization),
            )
        ).scalar_one_or_none()
        if row is None or row.expires_at <= moment:
            return None
        if row.kind is SessionKind.USER:
            if row.user is None or not row.user.active:
                return None
            principal = user_principal(row.user)
        elif row.kind is SessionKind.ORGANIZATION:
            assert row.organization is not None
            principal = organization_principal(session, row.organization)
        else:
            assert row.recipient is not None
            principal = recipient_principal(row.recipient)
        return SessionInfo(session_id, row.csrf_token, principal, row.locale, row.expires_at)


def end_recipient_sessions(session: Session, recipient_id: int) -> None:
    """End every browser session opened with a recipient's notice link (in the caller's
    transaction), e.g. when its token is replaced because it leaked."""
    session.execute(delete(WebSession).where(WebSession.recipient_id == recipient_id))


def end_session(db: Database, session_id: str) -> None:
    """Log out: the session stops working at once."""
    with db.transaction() as session:
        session.execute(delete(WebSession).where(WebSession.id_sha256 == sha256_hex(session_id)))


def set_locale(db: Database, session_id: str, locale: str) -> None:
    """Remember a language for the session and, for a regulator user, for the user."""
    _check_locale(locale)
    with db.transaction() as session:
        row = session.get(WebSession, sha256_hex(session_id))
        if row is None:
            raise NotFoundError("no such session")
        row.locale = locale
        if row.user is not None:
            row.user.locale = locale


def organization_principal(session: Session, organization: Organization) -> Principal:
    """An organization acting for every one of its facilities (read at the time of asking)."""
    facility_ids = frozenset(
        session.execute(
            select(Facility.id).where(Facility.organization_id == organization.id)
        ).scalars()
    )
    return Principal(
        "organization",
        f"org:{organization.uscc}",
        organization_id=organization.id,
        facility_ids=facility_ids,
    )
