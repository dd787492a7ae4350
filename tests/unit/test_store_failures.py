"""Which driver errors mean a full disk (storage/failures.py), and how long the store counts as unwritable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError

from ordertrail.storage import failures
from ordertrail.storage.failures import WriteHealth, is_disk_full


def test_sqlite_full_is_a_full_disk_and_other_sqlite_errors_are_not() -> None:
    engine = create_engine("sqlite://")

    @event.listens_for(engine, "connect")
    def _small(dbapi_connection: sqlite3.Connection, _: object) -> None:
        # SQLite's own limit on the file's size: writes past it fail with SQLITE_FULL, like a full disk.
        dbapi_connection.execute("PRAGMA max_page_count = 2")

    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (v TEXT)"))
        with pytest.raises(OperationalError) as full:
            for _ in range(100):
                connection.execute(text("INSERT INTO t VALUES (:v)"), {"v": "x" * 2000})
        with pytest.raises(OperationalError) as other:
            connection.execute(text("SELECT * FROM missing"))
    assert is_disk_full(full.value) and "full" in str(full.value)
    assert not is_disk_full(other.value)


def test_postgres_disk_full_sqlstate_is_a_full_disk() -> None:
    assert is_disk_full(asyncpg.exceptions.DiskFullError("could not extend file"))
    assert is_disk_full(DBAPIError("INSERT", {}, asyncpg.exceptions.DiskFullError("could not extend file")))
    assert not is_disk_full(asyncpg.exceptions.UniqueViolationError("duplicate key"))
    assert not is_disk_full(asyncpg.exceptions.OutOfMemoryError("out of memory"))  # class 53, not the disk


def test_a_failure_makes_the_store_unwritable_for_the_retry_delay_only(tmp_path: Path) -> None:
    now = [1000.0]
    health = WriteHealth(clock=lambda: now[0])
    assert health.problem(sqlite_path=None) is None
    error = health.failed()
    assert error.retry_after_s == failures.RETRY_AFTER_S
    assert health.problem(sqlite_path=None) == "The store's last write failed: its disk is full."
    now[0] += failures.RETRY_AFTER_S
    assert health.problem(sqlite_path=None) is None  # offered writes again: the next one tells
    assert health.problem(sqlite_path=tmp_path / "ordertrail.db") is None  # this disk has room
