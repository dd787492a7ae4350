"""Which demo parcels to open first: one in each state worth seeing, read back from the store.

Read from the store rather than remembered from the run that made them, so a second ``serve --demo`` (which adds
no orders) points at the same parcels, in whatever state they have reached by now; and the live demo
(demo/live.py) moves the parcel ``next_to_move`` names, the one suggested as moving now.
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


MOVING_NOW = "moving now: a new scan every few seconds"
# Where a parcel goes on without anyone deciding anything: the live demo moves these, one step at a time (the
# parcel it moves stays first in the list, so it is taken all the way to the door before the next one starts).
_MOVABLE = frozenset(
    {
        Status.ORDER_PLACED,
        Status.PROCESSING,
        Status.PACKED,
        Status.DISPATCHED,
        Status.IN_TRANSIT,
        Status.OUT_FOR_DELIVERY,
    }
)


def next_to_move(parcels: list[Parcel]) -> Parcel | None:
    """The parcel the live demo scans next: the first (newest order first) on its way as planned.

    Delayed and stalled parcels, and those held up (exception, failed attempt), keep their state, so the
    suggestions for those states stay true while the demo runs.
    """
    for parcel in parcels:
        held = parcel.estimate is not None and (parcel.estimate.delayed or parcel.estimate.stalled_at is not None)
        if parcel.state.status in _MOVABLE and not held:
            return parcel
    return None


async def demo_parcels(services: Services, merchant_id: int) -> list[Parcel]:
    """The parcels of ``merchant_id``'s newest orders (at most ``_ORDERS_READ`` orders), newest order first."""

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

    return await services.db.read(read)


async def suggestions(services: Services, merchant_id: int, *, live: bool = False) -> list[Suggestion]:
    """One parcel of ``merchant_id`` for each state worth seeing that some parcel is in (newest orders first).

    ``live``: the live demo runs (``serve --demo``), so the parcel it moves next comes first, as moving now, and
    is not offered for another state it will soon have left.
    """
    parcels = await demo_parcels(services, merchant_id)
    found: list[Suggestion] = []
    moving = next_to_move(parcels) if live else None
    if moving is not None:
        found.append(Suggestion(MOVING_NOW, moving.tracking_number))
    for what, shows in _WORTH_SEEING:
        match = next((p for p in parcels if p is not moving and shows(p)), None)
        if match is not None:
            found.append(Suggestion(what, match.tracking_number))
    return found
