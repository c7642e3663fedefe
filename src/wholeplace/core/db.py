"""The operational database: engines, sessions and the migrations that make the schema."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from wholeplace.core.errors import ConfigurationError

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for SQLite or PostgreSQL, with SQLite told to enforce foreign keys and keep a write-ahead log."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks savepoints; SQLAlchemy emits BEGIN itself instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # The server's watcher links a new batch in one transaction, holding the write lock for a few seconds;
    # a page that writes meanwhile waits for it rather than failing.
    cursor.execute("PRAGMA busy_timeout=30000")
    # Readers see the last commit while a writer works (a page can be read while another page writes the
    # access log or rebuilds an index), instead of waiting on its lock.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


class Turns:
    """Units of database work that take turns, on SQLite only.

    In SQLite's write-ahead log a transaction that has read and then wants to write fails at once ("database is
    locked") if another connection committed in between; waiting does not help, since its snapshot is stale. So
    the server's requests and its watcher, which share one process, each take a turn for their whole unit of work.
    PostgreSQL waits on row locks by itself and needs no turns."""

    POLL_SECONDS = 0.005

    def __init__(self, *, needed: bool) -> None:
        self._lock = threading.Lock() if needed else None

    @classmethod
    def for_engine(cls, engine: Engine) -> Turns:
        return cls(needed=engine.dialect.name == "sqlite")

    @contextmanager
    def taken(self) -> Iterator[None]:
        """Wait for the turn on this thread, then hold it while the block runs."""
        if self._lock is None:
            yield
            return
        with self._lock:
            yield

    @asynccontextmanager
    async def taken_async(self) -> AsyncIterator[None]:
        """The same, without blocking the event loop; a request cancelled while it waits never takes the turn."""
        if self._lock is None:
            yield
            return
        while not self._lock.acquire(blocking=False):
            await anyio.sleep(self.POLL_SECONDS)
        try:
            yield
        finally:
            self._lock.release()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed together, or not at all."""
    with factory() as db, db.begin():
        yield db


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration."""
    try:
        command.upgrade(alembic_config(engine), "head")
    except OperationalError as error:
        raise ConfigurationError(
            f"Cannot reach the database at {engine.url.render_as_string(hide_password=True)}: {error.orig}",
            fix="Check WHOLEPLACE_DATABASE_URL and that the database server is running.",
        ) from error


def downgrade_to_empty(engine: Engine) -> None:
    """Remove every table the migrations made (used by `demo --force`)."""
    command.downgrade(alembic_config(engine), "base")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()
