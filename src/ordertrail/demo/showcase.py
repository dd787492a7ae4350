"""Which demo parcels to open first: one in each state worth seeing, read back from the store.

Read from the store rather than remembered from the run that made them, so a second ``serve --demo`` (which adds
no orders) points at the same parcels, in whatever state they have reached by now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.status import Status
from ordertrail.services.context import Services
from ordertrail.storage.orders import orders as order_store
from ordertrail.storage.orders import parcels as parcel_store

# At most this many orders are read (the demo makes tens; this bounds a store that has grown around it).
_ORDERS_READ = 500


@dataclass(frozen=True, slots=True)
class Suggestion:
    what: str  # what the person will see, e.g. "a problem on the way"
    tracking_number: str


_WORTH_SEEING: tuple[tuple[str, Callable[[Parcel], bool]], ...] = (
    ("out for delivery now", lambda p: p.state.status is Status.OUT_FOR_DELIVERY),
    ("on its way between hubs", lambda p: p.state.status is Status.IN_TRANSIT),
    ("a problem on the way (exception)", lambda p: p.state.status is Status.EXCEPTION),
    ("a failed delivery attempt", lambda p: p.state.status is Status.DELIVERY_ATTEMPTED),
    ("delayed: its estimate is past the promised date", lambda p: bool(p.estimate and p.estimate.delayed)),
    ("stalled: no scan for longer than usual", lambda p: bool(p.estimate and p.estimate.stalled_at)),
    ("still in the warehouse", lambda p: p.state.status in (Status.PROCESSING, Status.PACKED, Status.DISPATCHED)),
    ("delivered", lambda p: p.state.status is Status.DELIVERED),
)


async def suggestions(services: Services, merchant_id: int) -> list[Suggestion]:
    """One parcel of ``merchant_id`` for each state worth seeing that some parcel is in (newest orders first)."""

    def read(connection: Connection) -> list[Parcel]:
        orders = order_store.list_orders(
            connection,
            merchant_id=merchant_id,
            status=None,
            text=None,
            placed_after=None,
            before_id=None,
            limit=_ORDERS_READ,
        )
        by_order = parcel_store.parcels_of_orders(connection, [o.id for o in orders])
        return [parcel for o in orders for parcel in by_order.get(o.id, [])]

    parcels = await services.db.read(read)
    found: list[Suggestion] = []
    for what, shows in _WORTH_SEEING:
        match = next((p for p in parcels if shows(p)), None)
        if match is not None:
            found.append(Suggestion(what, match.tracking_number))
    return found
