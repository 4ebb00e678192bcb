"""Deleting expired browser sessions (and login-failure counters no longer in force).

An expired session no longer signs anyone in (``resolve_session`` ignores it), but its row
would stay forever. Each regulator sign-in and each organization sign-in purges in its own
transaction (so a purge that fails also refuses that sign-in, and nothing is half-done);
``hashwatch user purge-sessions`` purges on demand (e.g. from cron).
A purge that deleted anything is audited with its counts (never session ids).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import delete
from sqlalchemy.orm import Session

from hashwatch.accounts.models import WebSession
from hashwatch.reporting import audit
from hashwatch.services import login_throttle
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow

#: The audit actor of the purge that each sign-in does on the side.
SIGN_IN_PURGE_ACTOR: Final = "system:sign-in"


@dataclass(frozen=True)
class PurgeResult:
    """What a purge deleted: expired sessions and login-failure counters no longer in force."""

    sessions: int
    login_failures: int


def _deleted(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def purge_in(session: Session, moment: dt.datetime, *, actor: str) -> PurgeResult:
    """Delete expired sessions and stale failure counters in the caller's transaction."""
    expired = session.execute(delete(WebSession).where(WebSession.expires_at <= moment))
    purged = PurgeResult(
        sessions=_deleted(expired),
        login_failures=login_throttle.purge_stale_failures(session, moment),
    )
    if purged.sessions or purged.login_failures:
        audit.record(
            session,
            actor=actor,
            action="session.purge",
            object_type="web_session",
            object_id="expired",
            after={"sessions": purged.sessions, "login_failures": purged.login_failures},
        )
    return purged


def purge_expired_sessions(
    db: Database, *, actor: str, now: dt.datetime | None = None
) -> PurgeResult:
    """Delete every expired browser session and stale login-failure counter, in one go."""
    with db.transaction() as session:
        return purge_in(session, now or utcnow(), actor=actor)
