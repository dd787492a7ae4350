"""Merchants, orders and parcels (with the parcel status projection)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from ordertrail.domain.errors import DuplicateOrder
from ordertrail.domain.orders.order import Address, Customer, Order
from ordertrail.storage.tables import order, parcel
from ordertrail.storage.types import new_id


def _order(row: Any) -> Order:
    return Order(
        id=row.id,
        merchant_id=row.merchant_id,
        order_number=row.order_number,
        placed_at=row.placed_at,
        customer=Customer(name=row.customer_name, email=row.customer_email, phone=row.customer_phone),
        destination=Address(
            line1=row.destination_line1,
            line2=row.destination_line2,
            city=row.destination_city,
            region=row.destination_region,
            postal_code=row.destination_postal_code,
            country=row.destination_country,
        ),
        promised_delivery_date=row.promised_delivery_date,
        created_at=row.created_at,
    )


def insert_order(
    connection: Connection,
    *,
    merchant_id: int,
    order_number: str,
    placed_at: datetime,
    customer: Customer,
    destination: Address,
    promised_delivery_date: date | None,
    at: datetime,
) -> int:
    """A new order row; returns its id. Raises DuplicateOrder when a concurrent transaction stored the number first.

    The caller looks for an existing order first; that misses one placed by a transaction not yet committed
    (PostgreSQL runs them side by side), which the unique constraint then refuses here.
    """
    try:
        result = connection.execute(
            insert(order).values(
                merchant_id=merchant_id,
                order_number=order_number,
                placed_at=placed_at,
                customer_name=customer.name,
                customer_email=customer.email,
                customer_phone=customer.phone,
                destination_line1=destination.line1,
                destination_line2=destination.line2,
                destination_city=destination.city,
                destination_region=destination.region,
                destination_postal_code=destination.postal_code,
                destination_country=destination.country,
                promised_delivery_date=promised_delivery_date,
                created_at=at,
            )
        )
        return new_id(result)
    except IntegrityError as error:
        if not _unique_violation(error):
            raise
        raise DuplicateOrder(f"Order {order_number!r} already exists.", field="order_number") from error


def _unique_violation(error: IntegrityError) -> bool:
    # PostgreSQL names the SQLSTATE (23505); SQLite only says so in its message.
    sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return sqlstate == "23505" or "UNIQUE constraint failed" in str(error.orig)


def order_by_number(connection: Connection, *, merchant_id: int | None, order_number: str) -> list[Order]:
    """Orders with that number (one per merchant; all merchants when ``merchant_id`` is None)."""
    query = select(order).where(order.c.order_number == order_number)
    if merchant_id is not None:
        query = query.where(order.c.merchant_id == merchant_id)
    return [_order(row) for row in connection.execute(query.order_by(order.c.id))]


def orders_by_id(connection: Connection, ids: Sequence[int]) -> dict[int, Order]:
    if not ids:
        return {}
    return {row.id: _order(row) for row in connection.execute(select(order).where(order.c.id.in_(ids)))}


def list_orders(
    connection: Connection,
    *,
    merchant_id: int | None,
    status: str | None,
    text: str | None,
    placed_after: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[Order]:
    """Newest first, keyset-paginated by id."""
    query = select(order)
    if merchant_id is not None:
        query = query.where(order.c.merchant_id == merchant_id)
    if before_id is not None:
        query = query.where(order.c.id < before_id)
    if placed_after is not None:
        query = query.where(order.c.placed_at > placed_after)
    if status is not None:
        query = query.where(
            select(parcel.c.id).where(parcel.c.order_id == order.c.id, parcel.c.status == status).exists()
        )
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            or_(
                func.lower(order.c.order_number).like(pattern),
                func.lower(order.c.customer_name).like(pattern),
                func.lower(order.c.customer_email).like(pattern),
                select(parcel.c.id)
                .where(parcel.c.order_id == order.c.id, parcel.c.tracking_number == text.upper())
                .exists(),
            )
        )
    rows = connection.execute(query.order_by(order.c.id.desc()).limit(limit))
    return [_order(row) for row in rows]
