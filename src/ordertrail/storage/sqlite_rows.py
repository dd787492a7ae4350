"""Rows for SQLite's DB-API cursor, below SQLAlchemy's per-value processing: the writes of every scan, and the
reads of every replay.

Through Core, an ``executemany`` costs about 8 µs a row on this machine (a Python call per value and type, and
a parameter dictionary per row); handing the cursor tuples of ready values costs 2. The values are converted
here exactly as the column types convert them (``storage/types.py`` uses these same functions), so rows
written either way read back the same. PostgreSQL keeps the Core statements.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Column, Connection

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

Converter = Callable[[Any], Any]


def sqlite_instant(value: datetime) -> int:
    """A timezone-aware instant as SQLite stores it: microseconds since the epoch."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored: give a timezone")
    return (value - EPOCH) // MICROSECOND


def sqlite_day(value: date) -> int:
    """A calendar date as SQLite stores it: its day number."""
    return value.toordinal()


def converter(column: Column[Any]) -> Converter | None:
    """How a value of ``column`` is written (None: as it is)."""
    from ordertrail.storage.types import LocalDate, UTCDateTime  # types.py imports this module

    if isinstance(column.type, UTCDateTime):
        return lambda value: None if value is None else sqlite_instant(value)
    if isinstance(column.type, LocalDate):
        return lambda value: None if value is None else sqlite_day(value)
    if isinstance(column.type, Boolean):
        return lambda value: None if value is None else int(value)
    return None


def row_maker(columns: Sequence[Column[Any]]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A function that turns values in ``columns`` order into a row for the cursor."""
    converters = [converter(c) for c in columns]
    if not any(converters):
        return tuple
    pairs = [(i, f) for i, f in enumerate(converters) if f is not None]

    def make(values: Sequence[Any]) -> tuple[Any, ...]:
        row = list(values)
        for i, convert in pairs:
            row[i] = convert(row[i])
        return tuple(row)

    return make


def execute_rows(connection: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Run ``sql`` (with ``?`` parameters) once per row, in the connection's transaction."""
    if rows:
        connection.exec_driver_sql(sql, rows)


def instant_of(micros: int) -> datetime:
    """An instant read back from SQLite (see ``sqlite_instant``), in UTC."""
    return EPOCH + micros * MICROSECOND


def fetch_rows(connection: Connection, sql: str, parameters: Sequence[Any]) -> Sequence[tuple[Any, ...]]:
    """Every row of ``sql`` (with ``?`` parameters) as plain tuples, in the connection's transaction.

    Straight from the DB-API cursor: no ``Row`` objects and no result processors (values are as stored).
    """
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, parameters)
        return cursor.fetchall()
    finally:
        cursor.close()
