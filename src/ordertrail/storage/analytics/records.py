"""The parcels a period may count, with every event: those with any event within a day of the period (a delivery
or dispatch, or the event that ended a step or a stay at a facility; the exact local date is the domain's to
check), and those promised in it (for "late, still open"); each with its courier handover's service level.

Not yet served by a rollup: this reads the period's events (issue 13, "fast on a big store", is a later step).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection, Select, func, select, union

from ordertrail.domain.analytics.journeys import ParcelRecord
from ordertrail.domain.analytics.period import Period
from ordertrail.storage.couriers.tables import parcel_handover
from ordertrail.storage.scanning.events import events_of
from ordertrail.storage.tables import order, parcel, parcel_estimate, scan_event

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
        select(
            parcel.c.id,
            order.c.merchant_id,
            order.c.destination_country,
            order.c.promised_delivery_date,
            parcel_handover.c.service_level,
        )
        .select_from(
            parcel.join(order, order.c.id == parcel.c.order_id).outerjoin(
                parcel_handover, parcel_handover.c.parcel_id == parcel.c.id
            )
        )
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
        ids = [row.id for row in batch]
        events, windows = events_of(connection, ids), first_windows(connection, ids)
        records += [
            ParcelRecord(
                row.id,
                row.merchant_id,
                row.destination_country,
                row.promised_delivery_date,
                events[row.id],
                windows.get(row.id),
                row.service_level,  # of its handover (one per parcel; a new one replaces it)
            )
            for row in batch
        ]
    return records


def first_windows(connection: Connection, parcel_ids: list[int]) -> dict[int, tuple[date, date]]:
    """Per parcel: earliest and latest of its first recorded estimate (the first the customer was shown)."""
    first = (
        select(func.min(parcel_estimate.c.id))
        .where(parcel_estimate.c.parcel_id.in_(parcel_ids))
        .group_by(parcel_estimate.c.parcel_id)
    )
    query = select(parcel_estimate.c.parcel_id, parcel_estimate.c.earliest, parcel_estimate.c.latest).where(
        parcel_estimate.c.id.in_(first)
    )
    return {row.parcel_id: (row.earliest, row.latest) for row in connection.execute(query)}
