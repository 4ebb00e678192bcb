from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from hashwatch.errors import ConfigurationError, ConflictError
from hashwatch.store import engine
from hashwatch.store.engine import Database
from hashwatch.store.schema import METADATA


def test_migrations_reach_head(db: Database) -> None:
    assert db.current_revision() == db.head_revision()


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), METADATA)
    assert diff == []


def test_sqlite_readers_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    db.migrate()
    with db.transaction() as writer:
        writer.execute(text("UPDATE audit_head SET last_id = last_id"))
        with db.read() as reader:  # would time out under BEGIN IMMEDIATE
            assert reader.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 0
    db.dispose()


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unsupported database 'mysql'"):
        Database("mysql://root@localhost/x")


def test_sqlite_writers_of_one_process_take_turns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    db.migrate()
    order: list[str] = []
    holding, release = threading.Event(), threading.Event()

    def first() -> None:
        with db.transaction():
            order.append("first in")
            holding.set()
            release.wait(5)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(5)
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_S", 0.05)
    with pytest.raises(ConflictError, match="busy"), db.transaction():
        pass  # the first writer holds the turn past the (shortened) timeout
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_S", 5.0)
    release.set()
    with db.transaction():
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]
    db.dispose()
