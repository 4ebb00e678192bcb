"""Shared fixtures: a migrated database on SQLite, and on PostgreSQL when configured.

``HASHWATCH_TEST_DATABASE_URL`` (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) turns on the PostgreSQL runs. Each
pytest-xdist worker gets a database of its own, created fresh from that URL's server.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hashwatch.store.engine import Database
from hashwatch.store.schema import METADATA

PG_URL_ENV = "HASHWATCH_TEST_DATABASE_URL"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _worker_id() -> str:
    # the process id keeps concurrent pytest runs on one server apart
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A freshly migrated PostgreSQL database of this worker's own."""
    base = os.environ.get(PG_URL_ENV)
    if not base:
        pytest.skip(f"{PG_URL_ENV} is not set: PostgreSQL tests skipped")
    url = make_url(base)
    name = f"{url.database}_{_worker_id()}".lower()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    worker_url = url.set(database=name).render_as_string(hide_password=False)
    db = Database(worker_url)
    db.migrate()
    db.dispose()
    yield worker_url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in METADATA.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(
            text("INSERT INTO audit_head (id, last_id, last_sha256) VALUES (1, 0, :h)"),
            {"h": "0" * 64},
        )


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite always, PostgreSQL when configured."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "hashwatch.sqlite3"
        shutil.copy(template, path)
        database = Database(f"sqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("postgres_url"))
        _truncate_all(database)
    yield database
    database.dispose()
