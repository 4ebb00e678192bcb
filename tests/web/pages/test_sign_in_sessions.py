"""Signing in replaces the browser's previous session instead of leaving it alive."""

from __future__ import annotations

from pathlib import Path

from hashwatch.services import accounts
from hashwatch.store.engine import Database
from hashwatch.web.app import create_app
from hashwatch.web.deps import SESSION_COOKIE
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
