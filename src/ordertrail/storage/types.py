"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, CursorResult, Date, DateTime, Dialect, Integer
from sqlalchemy.types import TypeDecorator, TypeEngine

from ordertrail.storage.sqlite_rows import instant_of, sqlite_day, sqlite_instant

# Auto-incrementing 64-bit keys on PostgreSQL; SQLite only auto-increments INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, always read back in UTC.

    PostgreSQL stores ``timestamptz``. SQLite has no date type, and SQLAlchemy's text format costs a regex
    per value on the hot paths, so there it is an integer count of microseconds since the epoch: compact,
    exact and sortable.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return sqlite_instant(value)
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, int):
            return instant_of(value)
        assert isinstance(value, datetime)
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class LocalDate(TypeDecorator[date]):
    """A calendar date. PostgreSQL stores ``date``; SQLite an integer day number (``date.toordinal``): SQLAlchemy's
    text dates cost a regex per value, and estimates read and write several dates on every scan."""

    impl = Date
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Integer())
        return dialect.type_descriptor(Date())

    def process_bind_param(self, value: date | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return sqlite_day(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> date | None:
        if value is None or isinstance(value, date):
            return value
        return date.fromordinal(int(value))


def new_id(result: CursorResult[Any]) -> int:
    """The primary key an INSERT just generated."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
