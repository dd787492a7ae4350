"""Alembic environment: runs migrations on SQLite (sync) or PostgreSQL (asyncpg) from the configured URL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine, event, pool, text
from sqlalchemy.ext.asyncio import create_async_engine

from ordertrail.storage.database import sqlalchemy_url
from ordertrail.storage.migrate import ADVISORY_LOCK
from ordertrail.storage.tables import metadata

config = context.config
url = sqlalchemy_url(config.get_main_option("sqlalchemy.url") or "")


def _run(connection: Connection) -> None:
    # Batch mode lets ALTER TABLE work on SQLite by copying the table.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes or machines may upgrade at once: one migrates, the others wait, then find the
            # schema at head (the current revision is read after the lock) and do nothing.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
elif "+asyncpg" in url:
    asyncio.run(_run_async())
else:
    engine = create_engine(url, poolclass=pool.NullPool)

    # The driver's legacy mode sends no BEGIN before DDL, so each of a migration's statements committed (and
    # waited for the disk) on its own: a new store took seconds to create, and a crash midway left a schema
    # between two revisions. One explicit transaction instead: every migration of the run, all or nothing.
    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    with engine.connect() as connection:
        _run(connection)
    engine.dispose()
