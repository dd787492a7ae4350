"""Failed order lookups, counted to lock an order number after too many."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from ordertrail.storage.tables import order_lookup_attempt


def failures_since(connection: Connection, order_number: str, since: datetime) -> list[datetime]:
    """Times of failed lookups of ``order_number`` after ``since``, oldest first."""
    rows = connection.execute(
        select(order_lookup_attempt.c.attempted_at)
        .where(order_lookup_attempt.c.order_number == order_number, order_lookup_attempt.c.attempted_at > since)
        .order_by(order_lookup_attempt.c.attempted_at)
    )
    return [row.attempted_at for row in rows]


def record_failure(connection: Connection, order_number: str, at: datetime) -> None:
    connection.execute(insert(order_lookup_attempt).values(order_number=order_number, attempted_at=at))


def forget_failures_before(connection: Connection, before: datetime) -> None:
    """Drop attempts too old to matter (keeps the table small)."""
    connection.execute(delete(order_lookup_attempt).where(order_lookup_attempt.c.attempted_at < before))
