"""One counter change as one statement: INSERT … ON CONFLICT DO UPDATE … RETURNING, on SQLite and PostgreSQL.

The row is created, reset (its window ended), or changed in the same statement that reads the result back, so
two processes changing one counter at once each see their own change: there is no read-then-write gap.
"""

from __future__ import annotations

from sqlalchemy import Connection, case, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ordertrail.storage.tables import limit_counter


def add(
    connection: Connection, *, key: str, delta: int, window_s: float, extend: bool, now: float
) -> tuple[int, float]:
    """The counter's value after adding ``delta`` (never below zero), and when its window ends."""
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    row = limit_counter.c
    ended = row.resets_at <= now
    changed = case((ended, 0), else_=row.value) + delta
    statement = (
        insert(limit_counter)
        .values(key=key, value=max(0, delta), resets_at=now + window_s)
        .on_conflict_do_update(
            index_elements=[row.key],
            set_={
                "value": case((changed < 0, 0), else_=changed),
                "resets_at": now + window_s if extend else case((ended, now + window_s), else_=row.resets_at),
            },
        )
        .returning(row.value, row.resets_at)
    )
    value, resets_at = connection.execute(statement).one()
    return int(value), float(resets_at)


def forget_ended(connection: Connection, *, before: float) -> int:
    """Delete counters whose window ended before ``before``; returns how many."""
    return connection.execute(delete(limit_counter).where(limit_counter.c.resets_at < before)).rowcount
