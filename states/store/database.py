"""The database: engine set-up per backend, and the two ways to use it (a transaction, or a read)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from states.store.repository import Repository


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and writer serialisation."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would start transactions lazily and deferred; two writers
        # would then both read and fail on upgrade. We issue BEGIN IMMEDIATE ourselves instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Writers take the write lock up front; readers (WAL) read a snapshot without waiting for writers.
        reading = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if reading else "BEGIN IMMEDIATE")

    return engine


_READ_ONLY = "hoso_read_only"


def is_transient(error: BaseException) -> bool:
    """Whether the same work may succeed if tried again: the connection dropped, the pool was exhausted, a
    lock wait timed out, or the database rolled back a serialisation failure or deadlock. A constraint
    violation or a programming error is not transient."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | InterfaceError | PoolTimeoutError)


class Database:
    """hoso's database. Only ``states.store`` knows it is SQLAlchemy underneath."""

    def __init__(self, url: str, **options: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **options)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Repository]:
        """Everything written through the repository commits together, or not at all."""
        with self.engine.begin() as connection:
            yield Repository(connection)

    @contextmanager
    def reading(self) -> Iterator[Repository]:
        """Reads from one consistent transaction, rolled back at the end."""
        with self.engine.connect() as connection:
            yield Repository(connection.execution_options(**{_READ_ONLY: True}))

    def dispose(self) -> None:
        self.engine.dispose()
