"""Signing in replaces the browser's previous session instead of leaving it alive, and a
lockout holds for the client address it came from only."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from hashwatch.services import accounts
from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from hashwatch.web.cookies import SESSION_COOKIE
from tests.web.api.world import PASSWORD, TestClient, build_world, settings_for


def test_signing_in_again_ends_the_previous_session(db: Database, tmp_path: Path) -> None:
    world = build_world(db, settings_for(tmp_path), submit=False)
    with TestClient(create_app(world.settings, db)) as client:
        form = {"username": "analyst", "password": PASSWORD}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        first = client.cookies[SESSION_COOKIE]
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        second = client.cookies[SESSION_COOKIE]
    assert first != second
    assert accounts.resolve_session(db, first) is None
    assert accounts.resolve_session(db, second) is not None


def _sign_in(app: FastAPI, address: str, password: str) -> int:
    with TestClient(app, client=(address, 50000)) as client:
        form = {"username": "analyst", "password": password}
        return client.post("/login", data=form, follow_redirects=False).status_code


def test_a_lockout_from_one_address_does_not_lock_the_user_out_elsewhere(
    db: Database, tmp_path: Path
) -> None:
    world = build_world(db, settings_for(tmp_path), submit=False)
    app = create_app(world.settings, db)
    attacker, office = "203.0.113.7", "198.51.100.20"
    assert [_sign_in(app, attacker, "wrong password!") for _ in range(6)] == [403] * 6
    with TestClient(app, client=(attacker, 50000)) as client:
        locked = client.post("/login", data={"username": "analyst", "password": PASSWORD})
        wrong = client.post("/login", data={"username": "analyst", "password": "wrong!"})
    assert locked.status_code == wrong.status_code == 403  # locked: the same answer
    assert locked.text == wrong.text
    assert _sign_in(app, office, PASSWORD) == 303  # the user still signs in from elsewhere
    assert _sign_in(app, attacker, PASSWORD) == 403  # and the attacker's address stays locked
