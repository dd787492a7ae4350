"""Cancelling an order or a parcel: a ``cancelled`` event on each parcel's timeline, and an audit entry for each.

The event goes through the scan transaction (``record_scans_tx``), so the status, the tracking page, its stream,
the merchant's webhooks and the customer's email follow as they do for any scan, and the replay rules hold if a
late scan arrives afterwards. An order is cancelled whole or not at all. Cancelling what is already cancelled
changes nothing and answers the same (a retried request is safe).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from ordertrail.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotCancellable,
    OrderNotFound,
    ParcelNotFound,
)
from ordertrail.domain.orders.cancelling import cancel_refusal, reason_problem
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.scans import Outcome, ScanInput
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console.readers import Reader
from ordertrail.services.context import Services
from ordertrail.services.scanning.record import record_scans_tx
from ordertrail.storage.orders import orders as order_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.staff import audit as audit_store


@dataclass(frozen=True, slots=True)
class CancelledParcel:
    tracking_number: str
    order_number: str
    status: str
    changed: bool  # False: it was cancelled already


def _check(reader: Reader, reason: str) -> str:
    if not reader.may(Permission.CANCEL):
        raise Forbidden("Cancelling needs the cancel permission (operations, merchant or admin).")
    problem = reason_problem(reason)
    if problem is not None:
        raise InvalidInput(f"The reason is not usable: {problem}.", field="reason")
    return reason.strip()


async def cancel_parcel(services: Services, reader: Reader, *, tracking_number: str, reason: str) -> CancelledParcel:
    """Cancel one parcel. Raises Forbidden, InvalidInput, ParcelNotFound (also for another merchant's), Conflict."""
    why = _check(reader, reason)

    def transaction(connection: Connection) -> tuple[list[CancelledParcel], list[ParcelChange]]:
        found = parcel_store.parcels_by_tracking_number(connection, [tracking_number], for_update=True)
        parcel = found.get(tracking_number)
        if parcel is None or not reader.sees(parcel.merchant_id):
            raise ParcelNotFound(f"No parcel {tracking_number!r}.", field="tracking_number")
        return cancel_tx(connection, services, reader, [parcel], why)

    (done,) = await _run(services, transaction)
    return done


async def cancel_order(
    services: Services, reader: Reader, *, order_number: str, reason: str, merchant_id: int | None = None
) -> list[CancelledParcel]:
    """Cancel every parcel of an order, or none. ``merchant_id`` picks the order when several merchants the reader
    sees use its number. Raises Forbidden, InvalidInput, OrderNotFound, Conflict."""
    why = _check(reader, reason)

    def transaction(connection: Connection) -> tuple[list[CancelledParcel], list[ParcelChange]]:
        orders = [
            o
            for o in order_store.order_by_number(connection, merchant_id=merchant_id, order_number=order_number)
            if reader.sees(o.merchant_id)
        ]
        if not orders:
            raise OrderNotFound(f"No order {order_number!r}.", field="order_number")
        if len(orders) > 1:
            raise Conflict(f"Several merchants use order number {order_number!r}: name the merchant.", field="merchant")
        numbers = [p.tracking_number for p in parcel_store.parcels_of_orders(connection, [orders[0].id])[orders[0].id]]
        locked = parcel_store.parcels_by_tracking_number(connection, numbers, for_update=True)
        return cancel_tx(connection, services, reader, [locked[n] for n in numbers], why)

    return await _run(services, transaction)


async def cancel_order_of(
    services: Services, reader: Reader, *, tracking_number: str, reason: str
) -> list[CancelledParcel]:
    """Cancel every parcel of the order ``tracking_number`` belongs to, or none (the console's parcel page: it knows
    the parcel, not which merchant's order number). Raises Forbidden, InvalidInput, ParcelNotFound, Conflict."""
    why = _check(reader, reason)

    def transaction(connection: Connection) -> tuple[list[CancelledParcel], list[ParcelChange]]:
        found = parcel_store.parcels_by_tracking_number(connection, [tracking_number]).get(tracking_number)
        if found is None or not reader.sees(found.merchant_id):
            raise ParcelNotFound(f"No parcel {tracking_number!r}.", field="tracking_number")
        numbers = [
            p.tracking_number for p in parcel_store.parcels_of_orders(connection, [found.order_id])[found.order_id]
        ]
        locked = parcel_store.parcels_by_tracking_number(connection, numbers, for_update=True)
        return cancel_tx(connection, services, reader, [locked[n] for n in numbers], why)

    return await _run(services, transaction)


def cancel_tx(
    connection: Connection,
    services: Services,
    reader: Reader,
    parcels: Sequence[Parcel],
    reason: str,
    *,
    bulk_key: str | None = None,
) -> tuple[list[CancelledParcel], list[ParcelChange]]:
    """Cancel ``parcels`` (locked by the caller) in the caller's transaction, all or none. Raises NotCancellable."""
    refusals = [f"{p.tracking_number}: {why}" for p in parcels if (why := cancel_refusal(p.state.status)) is not None]
    if refusals:
        raise NotCancellable(f"Nothing was cancelled: {'; '.join(refusals)}.", field="tracking_number")
    now = services.clock()
    to_cancel = [p for p in parcels if p.state.status is not Status.CANCELLED]
    key_id = reader.key.key_id if reader.key is not None else None
    items = [(_cancellation(p.tracking_number, reason, now=now), key_id) for p in to_cancel]
    results, changes = record_scans_tx(connection, items, now=now, estimates=services.estimates)
    # Each parcel was checked and locked above, so the event applies; anything else is a bug, not an answer.
    assert all(r.outcome is Outcome.CREATED for r in results), results
    for parcel in to_cancel:
        audit_store.append(
            connection,
            actor=reader.actor,
            action=Action.PARCEL_CANCELLED,
            at=now,
            merchant_id=parcel.merchant_id,
            order_number=parcel.order_number,
            tracking_number=parcel.tracking_number,
            detail={"reason": reason, "previous_status": parcel.state.status.value}
            | ({"bulk": bulk_key} if bulk_key else {}),
        )
    changed = {p.tracking_number for p in to_cancel}
    done = [
        CancelledParcel(p.tracking_number, p.order_number, Status.CANCELLED.value, p.tracking_number in changed)
        for p in parcels
    ]
    return done, changes


def _cancellation(tracking_number: str, reason: str, *, now: datetime) -> ScanInput:
    """The ``cancelled`` event; the reason is its note (private: never on the public page)."""
    event_id = str(uuid.uuid4())
    digest = hashlib.sha256(f"{event_id}|{tracking_number}|cancelled|{now.isoformat()}|{reason}".encode()).hexdigest()
    return ScanInput(
        event_id=event_id,
        tracking_number=tracking_number,
        status=Status.CANCELLED,
        occurred_at=now,
        body_hash=digest,
        note=reason,
    )


async def _run(
    services: Services,
    transaction: Callable[[Connection], tuple[list[CancelledParcel], list[ParcelChange]]],
) -> list[CancelledParcel]:
    done, changes = await services.db.write(transaction)
    await services.committed(changes)  # the bus, the delivery worker's wake-up: as after any scan
    return done
