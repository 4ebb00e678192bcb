"""``hashwatch user purge-sessions`` through the real entry point."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import update

from hashwatch.accounts.models import Role, WebSession
from hashwatch.services import accounts
from hashwatch.services.audit_log import list_audit
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow
from tests.cli.conftest import CliRun

PASSWORD = "correct horse battery staple"


def test_purge_sessions_deletes_the_expired_ones_and_is_audited(
    cli: CliRun, tmp_path: Path
) -> None:
    assert cli("init").code == 0
    db = Database(f"sqlite:///{tmp_path / 'data' / 'hashwatch.sqlite3'}")
    try:
        accounts.add_user(db, "wang", PASSWORD, role=Role.ANALYST, actor="test")
        expired = accounts.login(db, "wang", PASSWORD)
        live = accounts.login(db, "wang", PASSWORD)
        with db.transaction() as session:
            session.execute(
                update(WebSession)
                .where(WebSession.expires_at <= expired.expires_at)
                .values(expires_at=utcnow() - dt.timedelta(minutes=1))
            )
        run = cli("user", "purge-sessions")
        assert run.code == 0, run.err
        assert "purged 1 expired sessions and 0 stale failed-login counters" in run.out
        assert accounts.resolve_session(db, live.session_id) is not None
        assert list_audit(db, action="session.purge")[0]["actor"] == "analyst:test"
        again = cli("user", "purge-sessions")
        assert "purged 0 expired sessions" in again.out
    finally:
        db.dispose()
