"""The store under test: SQLite files by default, PostgreSQL databases when ORDERTRAIL_TEST_DATABASE_URL is set.

On PostgreSQL every test gets a database of its own, copied from a template that already has the migrations
applied (a copy takes a few tens of milliseconds, a migration run a second), and dropped afterwards.
Also: backend-neutral reads for tests that look at the store directly, and the rule for missing services
(a clear skip on a developer's machine, a failure under CI=true).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Executable, create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from ordertrail.storage.database import sqlalchemy_url

T = TypeVar("T")

# The backend the whole suite runs on: unset means SQLite.
TEST_DATABASE_URL = os.environ.get("ORDERTRAIL_TEST_DATABASE_URL") or None
# Tests that need PostgreSQL whatever the backend under test (scale-out, SKIP LOCKED) use this server.
POSTGRES_URL = TEST_DATABASE_URL or os.environ.get(
    "ORDERTRAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def unavailable(what: str) -> NoReturn:
    """A missing service: a failure under CI (where it must be there), a clear skip elsewhere."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{what} (CI=true: required)", pytrace=False)
    pytest.skip(what)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even where a loop is already running (Playwright's)."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


def _server_part(url: str) -> tuple[str, str]:
    """(URL without the database name, the database name)."""
    base, _, name = url.rpartition("/")
    return base, name.split("?", 1)[0]


async def admin(url: str, *statements: str) -> None:
    engine = create_async_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


class PostgresDatabases:
    """Fresh databases on one PostgreSQL server, each a copy of a migrated template."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.base, _ = _server_part(admin_url)
        self.template: str | None = None
        self.error: str | None = None

    def require(self) -> None:
        """Skip (fail under CI) unless the server answers."""
        self._ensure_template()

    def _ensure_template(self) -> str:
        if self.template is not None:
            return self.template
        if self.error is not None:
            unavailable(self.error)
        from ordertrail.storage.migrate import upgrade

        name = f"ordertrail_tpl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        try:
            run_async(admin(self.admin_url, f'CREATE DATABASE "{name}"'))
        except (TimeoutError, OSError) as error:
            host = urlsplit(self.admin_url).netloc.rpartition("@")[2]
            self.error = f"no PostgreSQL at {host} ({self.admin_url}): {error}"
            unavailable(self.error)
        upgrade(f"{self.base}/{name}")
        self.template = name
        return name

    @contextmanager
    def fresh(self, prefix: str = "ordertrail_t") -> Iterator[str]:
        """A new migrated database's URL; dropped (connections and all) on exit."""
        template = self._ensure_template()
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        run_async(admin(self.admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY'))
        try:
            yield f"{self.base}/{name}"
        finally:
            run_async(admin(self.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        if self.template is not None:
            run_async(admin(self.admin_url, f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
            self.template = None


def rows(database_url: str, sql: str | Executable, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rows of a query, straight from the store, whichever it is (for tests that check what was stored)."""
    statement = text(sql) if isinstance(sql, str) else sql
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url)
        try:
            with engine.connect() as connection:
                return [dict(row._mapping) for row in connection.execute(statement, params or {})]
        finally:
            engine.dispose()

    async def fetch() -> list[dict[str, Any]]:
        engine = create_async_engine(sqlalchemy_url(database_url), poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                result = await connection.execute(statement, params or {})
                return [dict(row._mapping) for row in result]
        finally:
            await engine.dispose()

    return run_async(fetch())
