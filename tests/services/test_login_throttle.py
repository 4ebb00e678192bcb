"""The sign-in lockout counts failures per user *and* client address."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from hashwatch.errors import PermissionDeniedError
from hashwatch.services import accounts
from hashwatch.services.audit_log import list_audit
from hashwatch.services.login_throttle import LOCKOUT, MAX_FAILED_LOGINS, client_key
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow
from tests.web.api.world import ANALYST, PASSWORD, World, build_world, settings_for

ATTACKER, OFFICE = "203.0.113.7", "198.51.100.20"
REFUSED = "wrong user name or password"


@pytest.fixture
def world(db: Database, tmp_path: Path) -> World:
    return build_world(db, settings_for(tmp_path), submit=False)


def _fail(db: Database, address: str, times: int, now: dt.datetime) -> None:
    for _ in range(times):
        with pytest.raises(PermissionDeniedError, match=REFUSED):
            accounts.login(db, ANALYST, "not the password", client_address=address, now=now)


def _refused(db: Database, address: str, now: dt.datetime) -> str:
    with pytest.raises(PermissionDeniedError) as refused:
        accounts.login(db, ANALYST, PASSWORD, client_address=address, now=now)
    return refused.value.message


def test_a_locked_user_gets_the_same_answer_as_a_wrong_password(world: World) -> None:
    now = utcnow()
    _fail(world.db, ATTACKER, MAX_FAILED_LOGINS, now)
    locked = _refused(world.db, ATTACKER, now)  # the right password, but locked
    with pytest.raises(PermissionDeniedError) as unknown:
        accounts.login(world.db, "nobody-here", "whatever it is", client_address=ATTACKER)
    assert locked == unknown.value.message == REFUSED


def test_failures_from_one_address_do_not_lock_the_user_out_from_another(world: World) -> None:
    now = utcnow()
    _fail(world.db, ATTACKER, MAX_FAILED_LOGINS * 3, now)  # locked, and trying on
    assert _refused(world.db, ATTACKER, now) == REFUSED
    info = accounts.login(world.db, ANALYST, PASSWORD, client_address=OFFICE, now=now)
    assert info.principal.name == ANALYST
    assert _refused(world.db, ATTACKER, now) == REFUSED  # the office's success unlocks nothing


def test_four_failures_do_not_lock_and_a_success_clears_them(world: World) -> None:
    now = utcnow()
    _fail(world.db, OFFICE, MAX_FAILED_LOGINS - 1, now)
    accounts.login(world.db, ANALYST, PASSWORD, client_address=OFFICE, now=now)
    _fail(world.db, OFFICE, MAX_FAILED_LOGINS - 1, now)  # counted from zero again
    accounts.login(world.db, ANALYST, PASSWORD, client_address=OFFICE, now=now)


def test_the_lock_lasts_fifteen_minutes(world: World) -> None:
    now = utcnow()
    _fail(world.db, OFFICE, MAX_FAILED_LOGINS, now)
    _refused(world.db, OFFICE, now + LOCKOUT - dt.timedelta(seconds=1))
    later = now + LOCKOUT + dt.timedelta(seconds=1)
    assert accounts.login(world.db, ANALYST, PASSWORD, client_address=OFFICE, now=later)


def test_a_quiet_quarter_of_an_hour_forgives_earlier_failures(world: World) -> None:
    now = utcnow()
    _fail(world.db, OFFICE, MAX_FAILED_LOGINS - 1, now)
    later = now + LOCKOUT + dt.timedelta(seconds=1)
    _fail(world.db, OFFICE, 1, later)  # the fifth failure, but not in a row
    assert accounts.login(world.db, ANALYST, PASSWORD, client_address=OFFICE, now=later)


def test_a_new_password_unlocks_the_user_from_every_address(world: World) -> None:
    now = utcnow()
    _fail(world.db, OFFICE, MAX_FAILED_LOGINS, now)
    accounts.set_password(world.db, ANALYST, PASSWORD, actor="test")
    assert accounts.login(world.db, ANALYST, PASSWORD, client_address=OFFICE, now=now)


def test_the_lock_is_audited_with_its_address(world: World) -> None:
    _fail(world.db, ATTACKER, MAX_FAILED_LOGINS, utcnow())
    rows = list_audit(world.db, action="user.lock")
    assert len(rows) == 1
    assert rows[0]["object_id"] == ANALYST
    assert json.loads(rows[0]["after"])["client_address"] == ATTACKER


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (" 10.0.0.1 ", "10.0.0.1"),
        ("", "unknown"),
        (None, "unknown"),
        ("x" * 80, "x" * 64),
        # one host holds a whole /64: its addresses count as one
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::/64"),
        ("::ffff:10.0.0.1", "10.0.0.1"),
    ],
)
def test_client_key(given: str | None, stored: str) -> None:
    assert client_key(given) == stored
