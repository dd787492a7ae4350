"""Shipping labels: gather what each parcel's label shows, within the caller's merchant scope, and render it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Final

from sqlalchemy import Connection

from ordertrail.domain.accounts.keys import Principal
from ordertrail.domain.errors import InvalidInput, MerchantNotFound, OrderNotFound, ParcelNotFound
from ordertrail.domain.orders.order import Address, Order
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.labels import LabelData, Layout, render_labels, tracking_page_url
from ordertrail.services.accounts.merchants import merchant_scope
from ordertrail.services.context import Services
from ordertrail.services.tracking.lookup import canonical_number
from ordertrail.storage.accounts import merchants as merchant_store
from ordertrail.storage.orders import orders as order_store
from ordertrail.storage.orders import parcels as parcel_store

MAX_BULK_ORDERS: Final = 500
_NAMED_IN_ERROR: Final = 20


def _label(
    order: Order, parcel: Parcel, sender: str, public_base_url: str, return_address: Address | None = None
) -> LabelData:
    return LabelData(
        tracking_number=parcel.tracking_number,
        tracking_url=tracking_page_url(public_base_url, parcel.tracking_number),
        sender=sender,
        recipient=order.customer.name,
        destination=order.destination,
        order_number=order.order_number,
        parcel_position=parcel.position,
        parcel_count=parcel.parcel_count,
        weight_grams=parcel.weight_grams,
        reference=parcel.reference,
        return_address=return_address,
    )


def _labels_of_orders(connection: Connection, orders: Sequence[Order], public_base_url: str) -> list[LabelData]:
    parcels = parcel_store.parcels_of_orders(connection, [o.id for o in orders])
    merchant_ids = sorted({o.merchant_id for o in orders})
    senders = merchant_store.merchant_names(connection, merchant_ids)
    returns = merchant_store.return_addresses(connection, merchant_ids)
    return [
        _label(o, p, senders[o.merchant_id], public_base_url, returns.get(o.merchant_id))
        for o in orders
        for p in parcels[o.id]
    ]


def labels_of_parcels(connection: Connection, parcels: Sequence[Parcel], public_base_url: str) -> list[LabelData]:
    """The labels of these parcels, in the order given (the caller has checked the reader sees them)."""
    orders = order_store.orders_by_id(connection, sorted({p.order_id for p in parcels}))
    merchant_ids = sorted({o.merchant_id for o in orders.values()})
    senders = merchant_store.merchant_names(connection, merchant_ids)
    returns = merchant_store.return_addresses(connection, merchant_ids)
    labels = []
    for p in parcels:
        o = orders[p.order_id]
        labels.append(_label(o, p, senders[o.merchant_id], public_base_url, returns.get(o.merchant_id)))
    return labels


async def parcel_label(
    services: Services, *, principal: Principal, tracking_number: str, public_base_url: str
) -> LabelData:
    """One parcel's label; raises ParcelNotFound for unknown, malformed and other merchants' numbers alike."""
    scope = merchant_scope(principal)
    number = canonical_number(tracking_number)

    def read(connection: Connection) -> LabelData:
        parcel = parcel_store.parcels_by_tracking_number(connection, [number]).get(number)
        if parcel is None or (scope is not None and parcel.merchant_id != scope):
            raise ParcelNotFound()
        order = order_store.orders_by_id(connection, [parcel.order_id])[parcel.order_id]
        sender = merchant_store.merchant_names(connection, [order.merchant_id])[order.merchant_id]
        returns = merchant_store.return_addresses(connection, [order.merchant_id])
        return _label(order, parcel, sender, public_base_url, returns.get(order.merchant_id))

    return await services.db.read(read)


async def order_labels(
    services: Services,
    *,
    principal: Principal,
    order_numbers: Sequence[str],
    public_base_url: str,
    merchant: str | None = None,
) -> list[LabelData]:
    """The labels of every parcel of the given orders, in the order asked for.

    Merchant keys see only their own orders; admins see all, narrowed to ``merchant`` when named (an order
    number is unique only within a merchant). Raises OrderNotFound naming every number not found,
    InvalidInput when an admin's order number matches orders of several merchants, Forbidden for scanners.
    """
    scope = merchant_scope(principal)
    wanted = list(dict.fromkeys(order_numbers))  # repeated numbers print once
    if not wanted:
        raise InvalidInput("Name at least one order.", field="order_numbers")
    if len(wanted) > MAX_BULK_ORDERS:
        raise InvalidInput(f"At most {MAX_BULK_ORDERS} orders at once.", field="order_numbers")

    def read(connection: Connection) -> list[LabelData]:
        merchant_id = scope
        if merchant is not None and scope is None:
            merchant_id = merchant_store.merchant_id_by_name(connection, merchant)
            if merchant_id is None:
                raise MerchantNotFound(f"No merchant {merchant!r}.", field="merchant")
        found: list[Order] = []
        missing: list[str] = []
        for number in wanted:
            matches = order_store.order_by_number(connection, merchant_id=merchant_id, order_number=number)
            if not matches:
                missing.append(number)
            elif len(matches) > 1:
                raise InvalidInput(f"Several merchants have an order {number!r}: name the merchant.", field="merchant")
            else:
                found.append(matches[0])
        if missing:
            raise OrderNotFound(_missing_detail(missing), field="order_numbers")
        return _labels_of_orders(connection, found, public_base_url)

    return await services.db.read(read)


def _missing_detail(missing: Sequence[str]) -> str:
    named = ", ".join(repr(number) for number in missing[:_NAMED_IN_ERROR])
    more = f" and {len(missing) - _NAMED_IN_ERROR} more" if len(missing) > _NAMED_IN_ERROR else ""
    noun = "order" if len(missing) == 1 else "orders"
    return f"No {noun} {named}{more}."


async def render(labels: Sequence[LabelData], layout: Layout) -> bytes:
    """The labels as a PDF, rendered off the event loop (hundreds of pages take a while)."""
    return await asyncio.to_thread(render_labels, labels, layout)
