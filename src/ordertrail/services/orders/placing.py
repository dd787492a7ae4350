"""Placing and reading orders."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection

from ordertrail.domain.accounts.keys import Principal
from ordertrail.domain.errors import (
    DuplicateOrder,
    DuplicateTrackingNumber,
    InvalidInput,
)
from ordertrail.domain.orders.order import OrderSpec, spec_problems
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.parcel import ParcelState
from ordertrail.domain.scanning.scans import NewEvent
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.tracking import tracking_number as tn
from ordertrail.services.accounts.merchants import merchant_scope
from ordertrail.services.context import Services
from ordertrail.services.estimating.runtime import EstimateRuntime
from ordertrail.services.orders.reading import OrderView, order_view_tx
from ordertrail.services.scanning.kept import scan_from_json
from ordertrail.services.scanning.record import Appending, record_scans_tx
from ordertrail.storage.orders import orders as order_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.scanning import unmatched as unmatched_store


async def place_order(
    services: Services,
    *,
    principal: Principal,
    spec: OrderSpec,
    merchant_id: int | None = None,
    generate: Callable[[], str] = tn.generate,
) -> OrderView:
    """Register an order and its parcels, recording ``order_placed`` for each; raises DuplicateOrder."""
    scope = merchant_scope(principal)
    if scope is None:
        if merchant_id is None:
            raise InvalidInput("An admin key must name the merchant of the order.", field="merchant")
        scope = merchant_id

    def transaction(connection: Connection) -> tuple[OrderView, list[ParcelChange]]:
        return place_order_tx(
            connection,
            merchant_id=scope,
            spec=spec,
            now=services.clock(),
            generate=generate,
            estimates=services.estimates,
        )

    view, changes = await services.db.write(transaction)
    await services.committed(changes)
    return view


def place_order_tx(
    connection: Connection,
    *,
    merchant_id: int,
    spec: OrderSpec,
    now: datetime,
    generate: Callable[[], str],
    estimates: EstimateRuntime | None = None,
) -> tuple[OrderView, list[ParcelChange]]:
    """Insert the order, its parcels and their first events; attach any scans kept for those numbers.

    Raises InvalidInput (the order's rules), DuplicateOrder, DuplicateTrackingNumber.
    """
    problems = spec_problems(spec, now=now)
    if problems:
        raise InvalidInput("The order breaks a rule.", problems=problems)
    existing = order_store.order_by_number(connection, merchant_id=merchant_id, order_number=spec.order_number)
    if existing:
        raise DuplicateOrder(
            f"Order {spec.order_number!r} already exists (placed {existing[0].placed_at.isoformat()}).",
            field="order_number",
        )
    numbers = _tracking_numbers(connection, spec, generate)
    placed_at = spec.placed_at or now
    order_id = order_store.insert_order(
        connection,
        merchant_id=merchant_id,
        order_number=spec.order_number,
        placed_at=placed_at,
        customer=spec.customer,
        destination=spec.destination,
        promised_delivery_date=spec.promised_delivery_date,
        at=now,
    )
    appending = Appending(connection)
    for position, (parcel_spec, number) in enumerate(zip(spec.parcels, numbers, strict=True), start=1):
        state = ParcelState.unborn(placed_at)
        parcel_id = parcel_store.insert_parcel(
            connection,
            order_id=order_id,
            tracking_number=number,
            position=position,
            reference=parcel_spec.reference,
            weight_grams=parcel_spec.weight_grams,
            state=state,
            at=now,
        )
        parcel = Parcel(
            parcel_id, order_id, number, position, len(spec.parcels), parcel_spec.reference,
            parcel_spec.weight_grams, merchant_id, spec.order_number, spec.destination.city,
            spec.destination.region, spec.destination.postal_code, spec.destination.country,
            spec.promised_delivery_date, placed_at, state,
        )  # fmt: skip
        event = ScanEvent(
            event_id=str(uuid.uuid4()),
            sequence=appending.log(parcel).next_sequence,
            status=Status.ORDER_PLACED,
            occurred_at=placed_at,
            recorded_at=now,
        )
        appending.append(parcel, event, NewEvent(parcel_id, event, body_hash="", api_key_id=None))
    # The first estimate is filled in, and the confirmation written before kept scans attach (they enqueue their own).
    appending.commit(now=now, estimates=estimates)
    changes = appending.changes
    kept = unmatched_store.unmatched_for(connection, numbers)
    if kept:
        # Mark them attached first, so the scan transaction no longer sees them as kept-unmatched.
        unmatched_store.mark_attached(connection, [k.event_id for k in kept], at=now)
        _, attached_changes = record_scans_tx(
            connection, [(scan_from_json(k.payload), k.api_key_id) for k in kept], now=now, estimates=estimates
        )
        changes.extend(attached_changes)
    return order_view_tx(connection, order_store.orders_by_id(connection, [order_id])[order_id], private=True), changes


def _tracking_numbers(connection: Connection, spec: OrderSpec, generate: Callable[[], str]) -> list[str]:
    given = [p.tracking_number for p in spec.parcels if p.tracking_number]
    if len(set(given)) != len(given):
        raise InvalidInput("Two parcels have the same tracking number.", field="parcels")
    taken = parcel_store.tracking_numbers_in_use(connection, given)
    if taken:
        raise DuplicateTrackingNumber(f"Tracking number {sorted(taken)[0]} is already in use.", field="parcels")
    numbers: list[str] = []
    for parcel_spec in spec.parcels:
        number = parcel_spec.tracking_number
        while number is None or number in numbers or parcel_store.tracking_numbers_in_use(connection, [number]):
            number = generate()
        numbers.append(number)
    return numbers
