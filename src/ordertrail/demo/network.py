"""A demo store with history: the simulated network's journeys replayed through the real use cases, in time order.

Orders are placed and scans recorded with the services' clock set to the simulated time, so estimates, delays,
stalled flags and the lane statistics are made exactly as in production. The simulated merchant's customer
emails and webhooks are turned off (there is nobody to tell).
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ordertrail.demo.simulation import DESTINATIONS, SIMULATED_CALENDARS, SimulatedParcel, simulate
from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.errors import DuplicateMerchant
from ordertrail.domain.notifying.policy import Preferences
from ordertrail.domain.orders.order import Address, Customer, OrderSpec, ParcelSpec
from ordertrail.domain.scanning.scans import ScanInput
from ordertrail.domain.scanning.status import Status
from ordertrail.services.accounts.merchants import create_merchant
from ordertrail.services.context import Services
from ordertrail.services.estimating.learning import learn
from ordertrail.services.estimating.runtime import EstimateRuntime
from ordertrail.services.orders.placing import place_order
from ordertrail.services.scanning.record import record_scans
from ordertrail.storage.accounts.merchants import merchant_id_by_name
from ordertrail.storage.notifying import preferences as preference_store

WINDOW = timedelta(hours=1)  # scans of one simulated hour are recorded together, the clock at its end


@dataclass
class SimulatedDemo:
    """What the simulated demo made."""

    merchant: str
    parcels: int = 0
    scans: int = 0
    tracking_numbers: list[str] = field(default_factory=list)


def _address(parcel: SimulatedParcel) -> Address:
    for postal_code, depot in DESTINATIONS:
        if (
            depot.country == parcel.country
            and parcel.lane.area == postal_code.replace(" ", "")[: len(parcel.lane.area)]
        ):
            return Address(line1="1 Simulation Street", city=depot.city, postal_code=postal_code, country=depot.country)
    raise AssertionError(f"no destination for lane {parcel.lane.name}")


async def run_simulated_demo(
    services: Services,
    *,
    parcels: int,
    seed: int,
    per_day: float = 120.0,
    merchant: str = "Simulated Shop",
    progress: Callable[[int], None] = lambda _: None,
) -> SimulatedDemo:
    """Place and scan ``parcels`` simulated journeys of the network of ``seed``; all end delivered."""
    journeys = simulate(parcels=parcels, seed=seed, per_day=per_day)
    with contextlib.suppress(DuplicateMerchant):
        await create_merchant(services, name=merchant)
    merchant_id = await services.db.read(lambda c: merchant_id_by_name(c, merchant))
    assert merchant_id is not None
    quiet = Preferences(customer_statuses=frozenset(), webhooks=False)
    await services.db.write(
        lambda c: preference_store.save_preferences(c, merchant_id, quiet, now=journeys[0].placed_at)
    )
    moment = [journeys[0].placed_at]
    # Estimates during the replay use the network's own calendar (its holidays), as a real deployment would.
    runtime = services.estimates
    if runtime is not None:
        runtime = EstimateRuntime(dataclasses.replace(runtime.config, calendars=SIMULATED_CALENDARS))
    simulated = replace(services, clock=lambda: moment[0], after_commit=[], estimates=runtime)
    admin = Principal(key_id=None, role=Role.ADMIN, name="simulated demo")
    scanner = Principal(key_id=None, role=Role.SCANNER, name="simulated network")
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"ordertrail-simulation-{seed}")
    # The agenda: (time, 0 = place the order | 1 = a scan, journey index, event index), in time order.
    agenda: list[tuple[datetime, int, int, int]] = []
    for index, journey in enumerate(journeys):
        agenda.append((journey.placed_at, 0, index, 0))
        agenda += [(e.occurred_at, 1, index, n) for n, e in enumerate(journey.events) if n > 0]
    agenda.sort()
    result = SimulatedDemo(merchant=merchant)
    numbers: dict[int, str] = {}
    run_tag = uuid.uuid4().hex[:6].upper()
    position = 0
    while position < len(agenda):
        end = agenda[position][0] + WINDOW
        moment[0] = end
        scans: list[ScanInput] = []
        while position < len(agenda) and agenda[position][0] < end:
            _, kind, index, event_index = agenda[position]
            position += 1
            journey = journeys[index]
            if kind == 0:
                if scans:  # keep time order: scans before this order first
                    await record_scans(simulated, scans=scans, principal=scanner)
                    result.scans += len(scans)
                    scans = []
                spec = OrderSpec(
                    order_number=f"SIM-{seed}-{run_tag}-{index + 1:06d}",
                    customer=Customer(name="Simulated Customer", email=f"customer{index}@example.com"),
                    destination=_address(journey),
                    placed_at=journey.placed_at,
                    parcels=(ParcelSpec(),),
                )
                view = await place_order(simulated, principal=admin, spec=spec, merchant_id=merchant_id)
                numbers[index] = view.parcels[0].tracking_number
                result.tracking_numbers.append(numbers[index])
                result.parcels += 1
                progress(result.parcels)
                continue
            event = journey.events[event_index]
            event_id = str(uuid.uuid5(namespace, event.event_id))
            scans.append(
                ScanInput(
                    event_id=event_id,
                    tracking_number=numbers[index],
                    status=Status(event.status),
                    occurred_at=event.occurred_at,
                    body_hash=event_id.replace("-", ""),
                    location=event.location,
                    reason=event.reason,
                )
            )
        if scans:
            await record_scans(simulated, scans=scans, principal=scanner)
            result.scans += len(scans)
        # What the learning job does every minute in production, here at the end of each simulated hour.
        await learn(simulated)
    return result
