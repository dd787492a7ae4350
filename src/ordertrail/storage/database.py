"""Runs repository code against the store: reads, and writes that each commit exactly once.

Repository functions are plain synchronous SQLAlchemy Core on a ``Connection``; this module decides where
they run. That keeps one code path for both deployments:

- SQLite (embedded): reads run inline on the event loop (a WAL point read takes microseconds, less than a
  thread hop would); writes run on one dedicated writer thread inside ``BEGIN IMMEDIATE`` … ``COMMIT`` with
  ``synchronous=FULL``, so the disk flush never blocks the loop and a returned write is durable.
- PostgreSQL (production): the same functions run through asyncpg with ``AsyncConnection.run_sync``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ordertrail.storage.failures import WriteHealth, is_disk_full

T = TypeVar("T")
Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]


class Database(Protocol):
    """Where repository code runs. ``write`` returns only after its transaction has committed.

    ``write`` raises StoreFull when the disk is full (nothing of the transaction is stored); ``health`` keeps
    when that last happened, for ``/readyz``.
    """

    dialect: str
    health: WriteHealth

    async def read(self, fn: Callable[[Connection], T]) -> T: ...

    async def read_apart(self, fn: Callable[[Connection], T]) -> T:
        """A read that may take long (a count over every parcel, a month of events, an export's batch): off the
        event loop's thread where ``read`` is not, so the process keeps serving scans and lookups meanwhile."""
        ...

    async def write(self, fn: Callable[[Connection], T]) -> T: ...

    async def fetch_one(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """One row of a literal ``?``-parameterised query, below SQLAlchemy: for the hottest point reads."""
        ...

    async def close(self) -> None: ...


def sqlalchemy_url(url: str) -> str:
    """The driver-qualified URL: ``postgresql://`` means asyncpg."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain) :]
    return url


def _ensure_wal(cursor: sqlite3.Cursor, busy_timeout_ms: int) -> None:
    """Put the file in WAL mode, which is a property of the file: once set, every later open only reads it.

    Setting it takes the file exclusively and SQLite answers "database is locked" at once, without its busy
    handler, when another connection holds it (a CLI process closing its connection checkpoints and takes the
    lock): so read the mode first, and retry the change itself within the busy timeout.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _sqlite_engine(path: Path, *, begin: str, synchronous: Synchronous, busy_timeout_ms: int, pool_size: int) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False},
        pool_size=pool_size,
        max_overflow=0,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Manage transactions ourselves (the driver's legacy mode would not BEGIN before a SELECT).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        _ensure_wal(cursor, busy_timeout_ms)
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # The event_id index grows with every scan; keep its hot pages in memory rather than re-read them.
        cursor.execute("PRAGMA cache_size = -65536")  # KiB: 64 MiB per connection
        cursor.execute("PRAGMA mmap_size = 268435456")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql(begin)

    return engine


class SQLiteDatabase:
    """The embedded store: one file in WAL mode, one writer thread."""

    dialect = "sqlite"

    def __init__(self, path: Path, *, synchronous: Synchronous = "FULL", busy_timeout_ms: int = 5000) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        options = {"synchronous": synchronous, "busy_timeout_ms": busy_timeout_ms}
        self.read_engine = _sqlite_engine(path, begin="BEGIN", pool_size=4, **options)  # type: ignore[arg-type]
        self.write_engine = _sqlite_engine(path, begin="BEGIN IMMEDIATE", pool_size=1, **options)  # type: ignore[arg-type]
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ordertrail-sqlite-writer")
        self.busy_timeout_ms = busy_timeout_ms
        self._hot: sqlite3.Connection | None = None
        self.health = WriteHealth()

    async def read(self, fn: Callable[[Connection], T]) -> T:
        with self.read_engine.begin() as connection:
            return fn(connection)

    async def read_apart(self, fn: Callable[[Connection], T]) -> T:
        # ``read`` runs on the loop's thread (a short read costs less than a thread hop); a long one there would
        # hold up every request of the process until it ends. In a thread SQLite runs without the GIL.
        def run() -> T:
            with self.read_engine.begin() as connection:
                return fn(connection)

        return await asyncio.to_thread(run)

    async def fetch_one(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        # A dedicated DB-API connection, used only from the event loop thread: a WAL point read costs a few
        # microseconds here, against ~100 for building and executing the same statement through Core.
        if self._hot is None:
            self._hot = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._hot.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
        row: tuple[Any, ...] | None = self._hot.execute(sql, params).fetchone()
        return row

    async def write(self, fn: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, self.write_now, fn)

    def write_now(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in a write transaction on the calling thread (CLI tools, migrations)."""
        try:
            with self.write_engine.begin() as connection:
                return fn(connection)
        except DBAPIError as error:
            if is_disk_full(error):
                raise self.health.failed() from error
            raise

    async def close(self) -> None:
        if self._hot is not None:
            self._hot.close()
        self._writer.shutdown(wait=True)
        self.read_engine.dispose()
        self.write_engine.dispose()


class PostgresDatabase:
    """The production store, over asyncpg."""

    dialect = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.pool_size = pool_size
        # Writes check each pooled connection first (one round trip per group commit): a write is never retried
        # blindly. Reads skip that round trip and are retried once instead when the connection turns out dead.
        # At most 10 + 15 + pool_size connections per process (35 by default); writes need few (group commit).
        self.engine: AsyncEngine = create_async_engine(
            sqlalchemy_url(url), pool_size=5, max_overflow=5, pool_pre_ping=True
        )
        self.read_engine: AsyncEngine = create_async_engine(sqlalchemy_url(url), pool_size=pool_size, max_overflow=5)
        self._hot: Any = None  # asyncpg.Pool, created on first use
        self._hot_lock = asyncio.Lock()
        self.health = WriteHealth()

    async def read(self, fn: Callable[[Connection], T]) -> T:
        try:
            async with self.read_engine.connect() as connection:
                return await connection.run_sync(fn)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        # A pooled connection died (PostgreSQL restarted, a proxy dropped it): the pool is being refreshed.
        async with self.read_engine.connect() as connection:
            return await connection.run_sync(fn)

    async def read_apart(self, fn: Callable[[Connection], T]) -> T:
        # The driver waits for PostgreSQL off the loop; what ``fn`` itself computes still runs on it (the async
        # engine's connections belong to the loop).
        return await self.read(fn)

    async def write(self, fn: Callable[[Connection], T]) -> T:
        for attempt in range(_RETRIES + 1):
            try:
                async with self.engine.begin() as connection:
                    return await connection.run_sync(fn)
            except DBAPIError as error:
                if is_disk_full(error):
                    raise self.health.failed() from error
                # PostgreSQL aborted the transaction to break a deadlock (or a serialisation conflict): nothing
                # of it was stored, so running it again is safe, and usually succeeds at once.
                if attempt == _RETRIES or getattr(error.orig, "sqlstate", None) not in _TRANSIENT:
                    raise
        raise AssertionError("unreachable")

    async def fetch_one(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        # Straight on an asyncpg pool of its own: no greenlet hop, no pre-ping round trip, and asyncpg keeps
        # each hot query prepared per connection. A few times faster than the same read through the engine.
        pool = self._hot or await self._hot_pool()
        row = await pool.fetchrow(_dollar_params(sql), *params)
        return None if row is None else tuple(row)

    async def _hot_pool(self) -> Any:
        import asyncpg

        async with self._hot_lock:
            if self._hot is None:
                dsn = sqlalchemy_url(self.url).replace("postgresql+asyncpg://", "postgresql://", 1)
                self._hot = await asyncpg.create_pool(dsn, min_size=1, max_size=self.pool_size)
        return self._hot

    async def close(self) -> None:
        if self._hot is not None:
            await self._hot.close()
        await self.engine.dispose()
        await self.read_engine.dispose()


_RETRIES = 3
_TRANSIENT = {"40P01", "40001"}  # deadlock_detected, serialization_failure


@lru_cache(maxsize=128)
def _dollar_params(sql: str) -> str:
    """``?`` placeholders as asyncpg's ``$1, $2, …`` (the hot queries hold no literal question marks)."""
    parts = sql.split("?")
    return "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, start=1))


def open_database(url: str, *, synchronous: Synchronous = "FULL", busy_timeout_ms: int = 5000) -> Database:
    """Open the store named by ``url`` (``sqlite:///path`` or ``postgresql://…``); connects lazily."""
    if url.startswith("sqlite:///"):
        return SQLiteDatabase(
            Path(url.removeprefix("sqlite:///")), synchronous=synchronous, busy_timeout_ms=busy_timeout_ms
        )
    if url.startswith(("postgresql", "postgres://")):
        return PostgresDatabase(url)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://…")


async def ping(database: Database) -> None:
    """Raise if the store cannot be reached."""
    await database.read(lambda connection: connection.execute(text("SELECT 1")).scalar_one())


def write_problem(database: Database) -> str | None:
    """Why the store cannot take writes now (its disk is full), or None."""
    return database.health.problem(sqlite_path=database.path if isinstance(database, SQLiteDatabase) else None)


__all__ = ["Database", "PostgresDatabase", "SQLiteDatabase", "open_database", "ping", "write_problem"]
