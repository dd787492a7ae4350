"""Label prints: the parcels without one (labels to print), those printed today, and recording a print."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Connection, Row, Select, exists, func, not_, select, union
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ordertrail.domain.console.label_prints import LabelRow
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.staff.audit import Actor
from ordertrail.storage.console.tables import BEFORE_DISPATCH, label_print
from ordertrail.storage.orders.scope import parcels_of
from ordertrail.storage.tables import merchant, order, parcel


def _scoped(statement: Select[Any], scope: Collection[int] | None) -> Select[Any]:
    # Asked per parcel (storage/orders/scope.py): the candidates' indexes stay the way in.
    return statement if scope is None else statement.where(parcels_of(scope))


def _columns() -> tuple[ColumnElement[Any], ...]:
    sibling = parcel.alias("sibling")
    count = select(func.count()).where(sibling.c.order_id == order.c.id).scalar_subquery()
    return (
        parcel.c.id,
        parcel.c.tracking_number,
        order.c.order_number,
        merchant.c.name.label("merchant"),
        parcel.c.position,
        count.label("parcel_count"),
        order.c.placed_at,
        parcel.c.status,
    )


def _candidates(since: datetime) -> CompoundSelect[Any]:
    # Placed since ``since`` or not yet dispatched: one index each (the orders by placed date, the parcels before
    # dispatch), united; an OR across the two tables would read every parcel.
    placed = (
        select(parcel.c.id)
        .select_from(parcel.join(order, order.c.id == parcel.c.order_id))
        .where(order.c.placed_at >= since)
    )
    return union(placed, select(parcel.c.id).where(BEFORE_DISPATCH))


def to_print(connection: Connection, *, scope: Collection[int] | None, since: datetime, limit: int) -> list[LabelRow]:
    """Parcels without a printed label, placed since ``since`` or not yet dispatched; never cancelled ones."""
    printed = exists().where(label_print.c.parcel_id == parcel.c.id)
    statement = (
        select(*_columns())
        .select_from(
            parcel.join(order, order.c.id == parcel.c.order_id).join(merchant, merchant.c.id == order.c.merchant_id)
        )
        .where(not_(printed), parcel.c.status != Status.CANCELLED.value, parcel.c.id.in_(_candidates(since)))
        .order_by(order.c.placed_at, parcel.c.id)
        .limit(limit)
    )
    rows = connection.execute(_scoped(statement, scope))
    return [_row(r) for r in rows]


def printed_since(
    connection: Connection, *, scope: Collection[int] | None, since: datetime, limit: int
) -> list[LabelRow]:
    """Parcels whose label was printed since ``since``, latest print first, with their last print and print count."""
    last = (
        select(
            label_print.c.parcel_id,
            func.max(label_print.c.id).label("last_id"),
            func.count().label("prints"),
        )
        .group_by(label_print.c.parcel_id)
        .subquery()
    )
    latest = label_print.alias("latest")
    statement = (
        select(*_columns(), latest.c.at.label("printed_at"), latest.c.actor.label("printed_by"), last.c.prints)
        .select_from(
            parcel.join(order, order.c.id == parcel.c.order_id)
            .join(merchant, merchant.c.id == order.c.merchant_id)
            .join(last, last.c.parcel_id == parcel.c.id)
            .join(latest, latest.c.id == last.c.last_id)
        )
        .where(latest.c.at >= since)
        .order_by(latest.c.id.desc())
        .limit(limit)
    )
    rows = connection.execute(_scoped(statement, scope))
    return [_row(r, printed=True) for r in rows]


def _row(r: Row[Any], *, printed: bool = False) -> LabelRow:
    return LabelRow(
        tracking_number=r.tracking_number,
        order_number=r.order_number,
        merchant=r.merchant,
        position=r.position,
        parcel_count=r.parcel_count,
        placed_at=r.placed_at,
        status=r.status,
        printed_at=r.printed_at if printed else None,
        printed_by=r.printed_by if printed else None,
        prints=r.prints if printed else 0,
    )


def printed_parcels(connection: Connection, parcel_ids: Sequence[int]) -> set[int]:
    """Those of the parcels whose label has been printed at least once."""
    if not parcel_ids:
        return set()
    rows = connection.execute(select(label_print.c.parcel_id).where(label_print.c.parcel_id.in_(parcel_ids)).distinct())
    return {r.parcel_id for r in rows}


def batch_parcels(connection: Connection, *, actor: Actor, batch: str) -> list[int]:
    """The parcels the actor printed under ``batch``, in the order printed (empty: no such print)."""
    rows = connection.execute(
        select(label_print.c.parcel_id)
        .where(
            label_print.c.actor_kind == actor.kind.value,
            label_print.c.actor_id == actor.id if actor.id is not None else label_print.c.actor_id.is_(None),
            label_print.c.batch == batch,
        )
        .order_by(label_print.c.id)
    )
    return [r.parcel_id for r in rows]


def record(connection: Connection, *, parcel_id: int, actor: Actor, batch: str, at: datetime, reprint: bool) -> bool:
    """Record one print; False when this batch already recorded it (a concurrent retry, PostgreSQL)."""
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(label_print)
        .values(
            parcel_id=parcel_id,
            batch=batch,
            at=at,
            actor_kind=actor.kind.value,
            actor_id=actor.id,
            actor=actor.name,
            reprint=reprint,
        )
        .on_conflict_do_nothing(
            index_elements=[
                label_print.c.actor_kind,
                label_print.c.actor_id,
                label_print.c.batch,
                label_print.c.parcel_id,
            ]
        )
    )
    return connection.execute(statement).rowcount == 1


def unprinted_count(connection: Connection, *, scope: Collection[int] | None, since: datetime) -> int:
    """How many parcels ``to_print`` would list (without its limit)."""
    printed = exists().where(label_print.c.parcel_id == parcel.c.id)
    statement = (
        select(func.count())
        .select_from(parcel)
        .where(not_(printed), parcel.c.status != Status.CANCELLED.value, parcel.c.id.in_(_candidates(since)))
    )
    return int(connection.execute(_scoped(statement, scope)).scalar_one())
