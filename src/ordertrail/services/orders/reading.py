"""Reading orders for merchants and admins: one order with its parcels and events, and the filtered list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from ordertrail.domain.accounts.keys import Principal
from ordertrail.domain.errors import (
    InvalidInput,
    OrderNotFound,
)
from ordertrail.domain.inputs import ascii_digits
from ordertrail.domain.orders.order import Order
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.scans import Proof
from ordertrail.domain.scanning.status import Status
from ordertrail.services.accounts.merchants import merchant_scope
from ordertrail.services.context import Services
from ordertrail.storage.accounts import merchants as merchant_store
from ordertrail.storage.orders import orders as order_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.scanning import events as scan_store


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order with its parcels, their events and (for private views) proofs of delivery."""

    order: Order
    merchant_name: str
    parcels: tuple[Parcel, ...]
    events: dict[int, list[ScanEvent]]
    proofs: dict[str, Proof]


def order_view_tx(connection: Connection, record: Order, *, private: bool) -> OrderView:
    parcels = parcel_store.parcels_of_orders(connection, [record.id])[record.id]
    events = scan_store.events_of(connection, [p.id for p in parcels])
    proofs = scan_store.proofs_of(connection, [e.event_id for evs in events.values() for e in evs]) if private else {}
    names = merchant_store.merchant_names(connection, [record.merchant_id])
    return OrderView(
        order=record,
        merchant_name=names[record.merchant_id],
        parcels=tuple(parcels),
        events=dict(events),
        proofs=proofs,
    )


async def get_order(services: Services, *, principal: Principal, order_number: str) -> OrderView:
    """One order of the caller's merchant (admins: of any merchant); raises OrderNotFound."""
    scope = merchant_scope(principal)

    def read(connection: Connection) -> OrderView:
        found = order_store.order_by_number(connection, merchant_id=scope, order_number=order_number)
        if not found:
            raise OrderNotFound(f"No order {order_number!r}.", field="order_number")
        return order_view_tx(connection, found[0], private=True)

    return await services.db.read(read)


@dataclass(frozen=True, slots=True)
class OrderPage:
    """A page of orders, newest first, and the cursor of the next page (None on the last)."""

    orders: tuple[tuple[Order, tuple[Parcel, ...]], ...]
    next_cursor: str | None


async def list_orders(
    services: Services,
    *,
    principal: Principal,
    status: Status | None = None,
    text: str | None = None,
    placed_after: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> OrderPage:
    """The caller's orders, filtered and cursor-paginated."""
    scope = merchant_scope(principal)
    before_id = _decode_cursor(cursor)

    def read(connection: Connection) -> OrderPage:
        records = order_store.list_orders(
            connection,
            merchant_id=scope,
            status=status.value if status else None,
            text=text,
            placed_after=placed_after,
            before_id=before_id,
            limit=limit + 1,
        )
        page = records[:limit]
        parcels = parcel_store.parcels_of_orders(connection, [r.id for r in page])
        next_cursor = _encode_cursor(page[-1].id) if len(records) > limit else None
        return OrderPage(tuple((r, tuple(parcels[r.id])) for r in page), next_cursor)

    return await services.db.read(read)


def _encode_cursor(order_id: int) -> str:
    return f"o{order_id}"


def _decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    before_id = ascii_digits(cursor[1:]) if cursor.startswith("o") else None
    if before_id is None:
        raise InvalidInput("The cursor is not one this API returned.", field="cursor")
    return before_id
