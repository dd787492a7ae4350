"""How SQLite stores instants and dates: integers, which the column types (``storage/types.py``) convert to and from.

SQLAlchemy's text formats cost a regex per value on hot reads; an integer count of microseconds (instants) or a
day number (dates) is compact, exact and sortable. The hot statements run below Core (``compiled.py``) convert
through the same column types, so these functions are the one definition of the stored form.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def sqlite_instant(value: datetime) -> int:
    """A timezone-aware instant as SQLite stores it: microseconds since the epoch."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored: give a timezone")
    return (value - EPOCH) // MICROSECOND


def sqlite_day(value: date) -> int:
    """A calendar date as SQLite stores it: its day number."""
    return value.toordinal()


def instant_of(micros: int) -> datetime:
    """An instant read back from SQLite (see ``sqlite_instant``), in UTC."""
    return EPOCH + micros * MICROSECOND
