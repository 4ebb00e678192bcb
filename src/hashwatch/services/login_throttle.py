"""The sign-in lockout, counted per user and client address.

Five wrong passwords for a user from one client address lock that user for 15 minutes *from
that address*; the user can still sign in from any other address. A lock keyed on the user
alone would let anyone who knows a user name keep that user out. Guessing from many
addresses is slowed by the per-address rate limit of the web layer (20 attempts a minute,
``hashwatch.web.api.session.LoginLimiter``) and by argon2id, not by the lockout.

These functions work inside the caller's transaction, under the lock of the user's row.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Final

from sqlalchemy import and_, delete, or_
from sqlalchemy.orm import Session

from hashwatch.accounts.models import LoginFailure, User
from hashwatch.reporting import audit

MAX_FAILED_LOGINS: Final = 5
LOCKOUT: Final = dt.timedelta(minutes=15)
#: An address unknown to the web server (or a caller outside the web, e.g. a test).
UNKNOWN_ADDRESS: Final = "unknown"
MAX_ADDRESS_CHARS: Final = 64


def client_key(client_address: str | None) -> str:
    """The address as stored: an IPv6 address as its /64 network (one host usually holds a
    whole /64, so counting per address would give it 2⁶⁴ fresh tries), an IPv4 address as
    is, anything else stripped to 64 characters; ``unknown`` if none."""
    text = (client_address or "").strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text[:MAX_ADDRESS_CHARS] or UNKNOWN_ADDRESS
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def is_locked(session: Session, user: User, client_address: str, moment: dt.datetime) -> bool:
    """Whether the user is locked out from this address at ``moment``."""
    row = session.get(LoginFailure, (user.id, client_key(client_address)))
    return row is not None and row.locked_until is not None and row.locked_until > moment


def count_failure(session: Session, user: User, client_address: str, moment: dt.datetime) -> None:
    """Count a wrong password; the fifth in a row locks the user from this address (audited)."""
    key = client_key(client_address)
    row = session.get(LoginFailure, (user.id, key))
    if row is None:
        row = LoginFailure(user_id=user.id, client_address=key, failures=0, last_failed_at=moment)
        session.add(row)
    elif row.last_failed_at <= moment - LOCKOUT:
        row.failures = 0  # a quiet quarter of an hour forgives earlier mistakes
    row.failures += 1
    row.last_failed_at = moment
    if row.failures >= MAX_FAILED_LOGINS:
        row.failures = 0
        row.locked_until = moment + LOCKOUT
        audit.record(
            session,
            actor=f"user:{user.username}",
            action="user.lock",
            object_type="user",
            object_id=user.username,
            after={"client_address": key, "locked_until": row.locked_until},
        )


def clear_failures(session: Session, user: User, client_address: str | None = None) -> None:
    """Forget the user's failures from one address (a good password), or from all (reset)."""
    condition = LoginFailure.user_id == user.id
    if client_address is not None:
        condition = and_(condition, LoginFailure.client_address == client_key(client_address))
    session.execute(delete(LoginFailure).where(condition))


def purge_stale_failures(session: Session, moment: dt.datetime) -> int:
    """Delete counters that no longer matter: no lock in force and no failure for 15 minutes.

    (A counter older than the lockout is kept only while its lock lasts.) Returns the count.
    """
    stale = and_(
        LoginFailure.last_failed_at <= moment - LOCKOUT,
        or_(LoginFailure.locked_until.is_(None), LoginFailure.locked_until <= moment),
    )
    result = session.execute(delete(LoginFailure).where(stale))
    return int(getattr(result, "rowcount", 0) or 0)
