from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from hashwatch.errors import ConfigurationError
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
