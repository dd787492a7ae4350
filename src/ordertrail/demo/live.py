"""The live demo: while ``serve --demo`` runs, demo parcels keep moving, so the pages visibly change.

Every ``interval`` seconds the parcel ``showcase.next_to_move`` names (the one suggested as "moving now") gets
its next scan, dated now, through the real use case: the tracking page's stream, the estimate, emails and
webhooks follow exactly as for a scanner's scan. A parcel goes from the warehouse to the door in about six steps;
then the next one moves. When every demo parcel has arrived, one fresh order is placed to carry on, so the
demo never runs dry (and a second run adds no orders while parcels are still on their way).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Final

from ordertrail.demo.orders import (
    DEMO_MERCHANT,
    DEMO_SCANNER,
    DESTINATIONS,
    WAREHOUSE,
    Hub,
    Step,
    place_fresh_order,
    scan_of,
)
from ordertrail.demo.showcase import demo_parcels, next_to_move
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.status import Status
from ordertrail.services.context import Services
from ordertrail.services.scanning.record import record_scans
from ordertrail.storage.accounts.merchants import merchant_id_by_name

log = logging.getLogger(__name__)

# The main path, one step at a time (the demo's troubles are made up front, in demo/orders.py).
NEXT_STEP: Final = {
    Status.ORDER_PLACED: Status.PROCESSING,
    Status.PROCESSING: Status.PACKED,
    Status.PACKED: Status.DISPATCHED,
    Status.DISPATCHED: Status.IN_TRANSIT,
    Status.IN_TRANSIT: Status.OUT_FOR_DELIVERY,
    Status.OUT_FOR_DELIVERY: Status.DELIVERED,
}
_AT_THE_WAREHOUSE: Final = frozenset({Status.PROCESSING, Status.PACKED, Status.DISPATCHED})
_SUBSTATUS: Final = {Status.DISPATCHED: "dispatched.handed_to_carrier", Status.IN_TRANSIT: "in_transit.arrived_at_hub"}


def _destination_hub(parcel: Parcel) -> Hub:
    """The hub that delivers to the parcel's city (the demo's destinations each have one)."""
    return next((hub for city, *_, hub in DESTINATIONS if city == parcel.destination_city), DESTINATIONS[0][4])


async def move_one(services: Services, rng: random.Random, *, merchant: str = DEMO_MERCHANT) -> str | None:
    """Give the next demo parcel its next scan (or place a fresh order); the tracking number scanned, if any."""
    merchant_id = await services.db.read(lambda connection: merchant_id_by_name(connection, merchant))
    if merchant_id is None:
        return None  # no demo in this store (any more): nothing to move
    parcel = next_to_move(await demo_parcels(services, merchant_id))
    if parcel is None:
        await place_fresh_order(services, rng, merchant_id=merchant_id)
        return None
    status = NEXT_STEP[parcel.state.status]
    hub = WAREHOUSE if status in _AT_THE_WAREHOUSE else _destination_hub(parcel)
    step = Step(status, hub, services.clock(), substatus=_SUBSTATUS.get(status))
    await record_scans(services, scans=[scan_of(parcel.tracking_number, step)], principal=DEMO_SCANNER)
    return parcel.tracking_number


async def keep_moving(services: Services, *, interval: float, stop: asyncio.Event) -> None:
    """Move a demo parcel every ``interval`` seconds until ``stop`` is set."""
    rng = random.Random()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
        if stop.is_set():
            return
        try:
            await move_one(services, rng)
        except Exception:  # the store is busy or away: the demo tries again next time
            log.exception("live demo scan failed")
