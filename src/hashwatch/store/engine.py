"""The database: engine, sessions and schema migrations.

This is the only module that knows SQLite from PostgreSQL. Services receive a
:class:`Database` and open one transaction per action with :meth:`Database.transaction`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hashwatch.errors import ConfigurationError, ConflictError
from hashwatch.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: how long a SQLite writer waits for another (in this process: for its lock) [s]
BUSY_TIMEOUT_S = 30.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={round(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READ_ONLY = "hashwatch_read_only"


def _sqlite_begin(conn: Any) -> None:
    # Writers take the write lock at BEGIN so that two of them serialise instead of failing
    # half-way (the audit chain relies on this); readers begin deferred and, in WAL mode,
    # never wait for a writer.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_no_autobegin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


class Database:
    """One relational store: an engine, a session factory, and its migrations."""

    def __init__(self, url: str, *, echo: bool = False, create: bool = True):
        try:
            self.url = make_url(url)
        except ArgumentError:
            raise ConfigurationError(
                f"HASHWATCH_DATABASE_URL: {url!r} is not a database URL"
            ) from None
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            database = self.url.database
            if database and database != ":memory:":
                if not create and not Path(database).exists():
                    raise ConfigurationError(
                        f"no database at {database}: run `hashwatch init` "
                        "(or set HASHWATCH_DATA_DIR to where it is)"
                    )
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(url, echo=echo)
            event.listen(self.engine, "connect", _sqlite_no_autobegin)
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        elif self.url.get_backend_name() == "postgresql":
            self.engine = create_engine(url, echo=echo, pool_pre_ping=True)
        else:
            raise ConfigurationError(
                f"HASHWATCH_DATABASE_URL: unsupported database {self.url.get_backend_name()!r}; "
                "use sqlite:/// or postgresql+psycopg://"
            )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer_lock = threading.Lock() if self.is_sqlite else None
        # Readers see one consistent snapshot (audit verification relies on it): SQLite's
        # deferred transactions in WAL mode do; PostgreSQL needs REPEATABLE READ.
        read_options: dict[str, Any] = {READ_ONLY: True}
        if not self.is_sqlite:
            read_options["isolation_level"] = "REPEATABLE READ"
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**read_options), expire_on_commit=False
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, create: bool = True) -> Database:
        """The database the settings name (SQLite in the data directory by default).

        With ``create=False`` a missing SQLite file is an error instead of a new database.
        """
        return cls(settings.resolved_database_url, create=create)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        On SQLite the writers of this process queue on a lock before ``BEGIN IMMEDIATE``:
        SQLite's own busy handler makes a waiting writer sleep and poll (up to 100 ms a
        time), which under concurrent requests adds long, random waits; the lock hands the
        database over as soon as the previous writer commits. Other processes still meet
        the busy timeout.
        """
        with self._write_turn(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def _write_turn(self) -> Iterator[None]:
        """Wait (at most as long as SQLite's busy timeout) for this process's writer lock."""
        if self._writer_lock is None:
            yield
            return
        if not self._writer_lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise ConflictError(f"the database stayed busy for {BUSY_TIMEOUT_S:.0f} s; try again")
        try:
            yield
        finally:
            self._writer_lock.release()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only (on SQLite it never waits for a writer)."""
        with self._read_sessions() as session:
            yield session

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["engine"] = self.engine
        return config

    def migrate(self) -> None:
        """Bring the schema up to the newest migration (each migration is one transaction)."""
        command.upgrade(self._alembic_config(), "head")

    def current_revision(self) -> str | None:
        """The schema's current migration revision, or None for an empty database."""
        try:
            with self.engine.connect() as conn:
                return MigrationContext.configure(conn).get_current_revision()
        except OperationalError as exc:
            raise ConfigurationError(
                f"cannot reach the database {self.url.render_as_string()}: {exc.orig}"
            ) from None

    def head_revision(self) -> str | None:
        """The newest migration revision this code knows."""
        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
