"""The weekly report's rows: each merchant's choice (on or off, who receives it) and the weeks already sent."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Connection, exists, insert, select, update

from ordertrail.storage.analytics.tables import weekly_report, weekly_report_sent


def report_setting(connection: Connection, merchant_id: int) -> tuple[bool, list[str]]:
    """Whether the merchant opted in, and its recipients (off and none when it never chose)."""
    row = connection.execute(
        select(weekly_report.c.enabled, weekly_report.c.recipients).where(weekly_report.c.merchant_id == merchant_id)
    ).first()
    return (False, []) if row is None else (bool(row.enabled), list(json.loads(row.recipients)))


def set_report(connection: Connection, merchant_id: int, *, enabled: bool, recipients: list[str], at: datetime) -> None:
    values = {"enabled": enabled, "recipients": json.dumps(recipients), "updated_at": at}
    changed = connection.execute(
        update(weekly_report).where(weekly_report.c.merchant_id == merchant_id).values(**values)
    ).rowcount
    if not changed:
        connection.execute(insert(weekly_report).values(merchant_id=merchant_id, **values))


def due_merchants(connection: Connection, week_start: date, closed_at: datetime) -> list[tuple[int, list[str]]]:
    """The merchants opted in with at least one recipient whose report of that week has not gone out, by id:
    those whose setting was last changed before the week closed (``closed_at``), so turning the report on sends
    the first week that ends afterwards, not the one before."""
    sent = exists().where(
        weekly_report_sent.c.merchant_id == weekly_report.c.merchant_id, weekly_report_sent.c.week_start == week_start
    )
    rows = connection.execute(
        select(weekly_report.c.merchant_id, weekly_report.c.recipients)
        .where(weekly_report.c.enabled.is_(True), weekly_report.c.updated_at < closed_at, ~sent)
        .order_by(weekly_report.c.merchant_id)
    ).all()
    return [(row.merchant_id, found) for row in rows if (found := list(json.loads(row.recipients)))]


def mark_sent(connection: Connection, merchant_id: int, week_start: date, *, at: datetime) -> bool:
    """Record the week as sent; False when it already was. A concurrent writer of the same week fails on the
    primary key at commit (PostgreSQL) or waits for the single writer (SQLite) and then sees it here."""
    already = connection.execute(
        select(weekly_report_sent.c.merchant_id).where(
            weekly_report_sent.c.merchant_id == merchant_id, weekly_report_sent.c.week_start == week_start
        )
    ).first()
    if already is not None:
        return False
    connection.execute(insert(weekly_report_sent).values(merchant_id=merchant_id, week_start=week_start, created_at=at))
    return True
