"""The parcels the periodic jobs take: watched parcels due for the sweep, delivered parcels not yet learned."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, select, update

from ordertrail.domain.estimating.lanes import lane_destination
from ordertrail.domain.estimating.state import PendingDelivery
from ordertrail.storage.tables import LEARN_PENDING, WATCHED, order, parcel


def due_watched(
    connection: Connection, *, after_id: int, size: int, now: datetime, overdue_before: date
) -> tuple[list[int], list[int], int | None]:
    """The next ``size`` watched parcels after ``after_id``, tested: (stall deadline passed and not flagged yet,
    window passed before ``overdue_before``, the id to continue after — None at the end).

    The conditions are on columns every scan rewrites, so nothing indexes them: the partial index
    ``ix_parcel_eta_watched`` bounds the chunk, the store tests each of its parcels and returns only the due ones.
    """
    end = connection.execute(
        select(parcel.c.id).where(WATCHED, parcel.c.id > after_id).order_by(parcel.c.id).limit(1).offset(size - 1)
    ).scalar()
    is_stalled, is_due = _due(now, overdue_before)
    query = select(parcel.c.id, is_stalled).where(WATCHED, parcel.c.id > after_id, is_due)
    if end is not None:
        query = query.where(parcel.c.id <= end)
    stalled, overdue = _split(connection.execute(query.order_by(parcel.c.id)))
    return stalled, overdue, None if end is None else int(end)


_MARK_LEARNED = (
    update(parcel)
    .where(parcel.c.id == bindparam("b_id"))
    .values(eta_learned=bindparam("b_learned"), eta_learn_pending=None)
)


def mark_learned(connection: Connection, learned: Mapping[int, bool]) -> None:
    """Parcels taken by the learning job, no longer pending, with whether each is in the lane statistics."""
    rows = [{"b_id": parcel_id, "b_learned": value} for parcel_id, value in learned.items()]
    if rows:
        connection.execute(_MARK_LEARNED, rows)


_PENDING_DELIVERIES = (
    select(
        parcel.c.id,
        parcel.c.eta_learned,
        parcel.c.eta_country,
        parcel.c.eta_area,
        order.c.destination_country,
        order.c.destination_postal_code,
        parcel.c.eta_courier,
        parcel.c.eta_service_level,
    )
    .join(order, order.c.id == parcel.c.order_id)
    .where(LEARN_PENDING)
    .order_by(parcel.c.id)
    .limit(bindparam("limit"))
    .with_for_update(of=parcel, skip_locked=True)
)


def pending_deliveries(connection: Connection, *, limit: int) -> list[PendingDelivery]:
    """Delivered parcels not yet in the lane statistics (locked; several learners take disjoint parcels)."""
    rows = connection.execute(_PENDING_DELIVERIES, {"limit": limit})
    return [
        PendingDelivery(
            parcel_id, bool(learned), *lane_destination(country, area, ordered_to, postal_code), courier, service
        )
        for parcel_id, learned, country, area, ordered_to, postal_code, courier, service in rows
    ]


def still_due(
    connection: Connection, parcel_ids: Sequence[int], *, now: datetime, overdue_before: date
) -> tuple[list[int], list[int]]:
    """``due_among_watched`` again for parcels found due, locked for this transaction: a scan may have come since.

    On PostgreSQL several sweepers take disjoint parcels (``SKIP LOCKED``).
    """
    if not parcel_ids:
        return [], []
    is_stalled, is_due = _due(now, overdue_before)
    query = select(parcel.c.id, is_stalled).where(parcel.c.id.in_(list(parcel_ids)), WATCHED, is_due)
    return _split(connection.execute(query.order_by(parcel.c.id).with_for_update(skip_locked=True)))


def _due(now: datetime, overdue_before: date) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    stalled = (parcel.c.eta_stall_after <= now) & parcel.c.eta_stalled_at.is_(None)
    return stalled, stalled | (parcel.c.eta_latest < overdue_before)


def _split(rows: Iterable[Any]) -> tuple[list[int], list[int]]:
    stalled: list[int] = []
    overdue: list[int] = []
    for parcel_id, is_stalled in rows:
        (stalled if is_stalled else overdue).append(parcel_id)
    return stalled, overdue
