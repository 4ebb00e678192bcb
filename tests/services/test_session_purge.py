"""Expired browser sessions and stale login-failure counters are purged, and audited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hashwatch.accounts.models import LoginFailure, WebSession
from hashwatch.errors import PermissionDeniedError
from hashwatch.services import accounts, api_tokens
from hashwatch.services.audit_log import list_audit
from hashwatch.services.login_throttle import LOCKOUT, MAX_FAILED_LOGINS
from hashwatch.services.session_purge import SIGN_IN_PURGE_ACTOR, purge_expired_sessions
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow
from tests.web.api.world import ADMIN, ANALYST, PASSWORD, World, build_world, settings_for

LATER = accounts.USER_SESSION_TTL + dt.timedelta(minutes=1)


@pytest.fixture
def world(db: Database, tmp_path: Path) -> World:
    return build_world(db, settings_for(tmp_path), submit=False)


def _count(db: Database, model: type[WebSession] | type[LoginFailure]) -> int:
    with db.read() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _purges(db: Database) -> list[dict[str, int]]:
    return [json.loads(r["after"]) for r in list_audit(db, action="session.purge")]


def test_only_expired_sessions_are_purged_and_the_purge_is_audited(world: World) -> None:
    old = accounts.login(world.db, ANALYST, PASSWORD)
    recipient = accounts.enter_with_token(world.db, world.tokens["A-DC-1"])
    assert purge_expired_sessions(world.db, actor="cli:test").sessions == 0
    assert _purges(world.db) == []  # nothing deleted, nothing audited
    moment = utcnow() + accounts.RECIPIENT_SESSION_TTL + dt.timedelta(minutes=1)
    purged = purge_expired_sessions(world.db, actor="cli:test", now=moment)
    assert (purged.sessions, purged.login_failures) == (1, 0)  # the recipient's (4 h) only
    assert accounts.resolve_session(world.db, old.session_id) is not None
    assert accounts.resolve_session(world.db, recipient.session_id) is None
    assert _purges(world.db) == [{"sessions": 1, "login_failures": 0}]
    assert list_audit(world.db, action="session.purge")[0]["actor"] == "cli:test"


def test_signing_in_purges_expired_sessions_on_the_side(world: World) -> None:
    accounts.login(world.db, ANALYST, PASSWORD)
    api_tokens.enter_with_api_token(world.db, world.api_token_a)
    assert _count(world.db, WebSession) == 2
    accounts.login(world.db, ADMIN, PASSWORD, now=utcnow() + LATER)
    assert _count(world.db, WebSession) == 1  # the admin's new session alone
    rows = list_audit(world.db, action="session.purge")
    assert rows[0]["actor"] == SIGN_IN_PURGE_ACTOR
    assert json.loads(rows[0]["after"])["sessions"] == 2


def test_stale_failure_counters_go_but_locks_in_force_stay(world: World) -> None:
    now = utcnow()
    for address, times in (("192.0.2.1", 1), ("192.0.2.2", MAX_FAILED_LOGINS)):
        for _ in range(times):
            with pytest.raises(PermissionDeniedError):
                accounts.login(world.db, ANALYST, "wrong", client_address=address, now=now)
    assert _count(world.db, LoginFailure) == 2
    assert purge_expired_sessions(world.db, actor="t", now=now).login_failures == 0
    just_before_unlock = now + LOCKOUT - dt.timedelta(seconds=1)
    purge_expired_sessions(world.db, actor="t", now=just_before_unlock)
    assert _count(world.db, LoginFailure) == 2  # neither is stale yet
    purged = purge_expired_sessions(world.db, actor="t", now=now + LOCKOUT)
    assert purged.login_failures == 2  # one quiet for 15 minutes, one whose lock ended
    assert _count(world.db, LoginFailure) == 0
