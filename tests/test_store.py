from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hashwatch.reporting.models import Base
from hashwatch.store.engine import Database


def test_migrations_reach_head(db: Database) -> None:
    assert db.current_revision() == db.head_revision()


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
