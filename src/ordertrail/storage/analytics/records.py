"""The parcels a period may count, with every event: those with any event within a day of the period (a delivery
or dispatch, or the event that ended a step or a stay at a facility; the exact local date is the domain's to
check), and those promised in it (for "late, still open").

Not yet served by a rollup: this reads the period's events (issue 13, "fast on a big store", is a later step).
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import Connection, Select, select, union

from ordertrail.domain.analytics.journeys import ParcelRecord
from ordertrail.domain.analytics.period import Period
from ordertrail.storage.scanning.events import events_of
from ordertrail.storage.tables import order, parcel, scan_event

# Parcels per events query: SQLite takes at most 32,766 bound values, asyncpg 32,767.
_BATCH = 500


def parcel_records(
    connection: Connection, *, period: Period, merchant_ids: frozenset[int] | None
) -> list[ParcelRecord]:
    """The records of every parcel of ``merchant_ids`` (None: every merchant) the period may count."""
    if merchant_ids is not None and not merchant_ids:
        return []
    first, after = (datetime.combine(d, time(), UTC) for d in period.widened())
    moved = select(scan_event.c.parcel_id).where(scan_event.c.occurred_at >= first, scan_event.c.occurred_at < after)
    promised = (
        select(parcel.c.id)
        .select_from(parcel.join(order, order.c.id == parcel.c.order_id))
        .where(order.c.promised_delivery_date.between(period.start, period.end))
    )
    query = (
        select(parcel.c.id, order.c.merchant_id, order.c.destination_country, order.c.promised_delivery_date)
        .select_from(parcel.join(order, order.c.id == parcel.c.order_id))
        .where(parcel.c.id.in_(union(moved, promised)))
        .order_by(parcel.c.id)
    )
    return _with_events(connection, _scoped(query, merchant_ids))


def _scoped(query: Select[Any], merchant_ids: frozenset[int] | None) -> Select[Any]:
    return query if merchant_ids is None else query.where(order.c.merchant_id.in_(sorted(merchant_ids)))


def _with_events(connection: Connection, query: Select[Any]) -> list[ParcelRecord]:
    rows = list(connection.execute(query))
    records: list[ParcelRecord] = []
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        events = events_of(connection, [row.id for row in batch])
        records += [
            ParcelRecord(row.id, row.merchant_id, row.destination_country, row.promised_delivery_date, events[row.id])
            for row in batch
        ]
    return records
