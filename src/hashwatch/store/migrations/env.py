"""Alembic environment: runs migrations on the engine handed over by :class:`Database`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from hashwatch.store.schema import METADATA

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):  # pragma: no cover - only reached by misuse
    raise RuntimeError("run migrations through hashwatch.store.engine.Database.migrate()")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        render_as_batch=engine.dialect.name == "sqlite",
        transaction_per_migration=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
