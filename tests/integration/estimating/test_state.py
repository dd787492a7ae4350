"""A parcel's place on its lane, kept from the changes alone, matches a full replay of its events."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.estimating.journey import visits_of
from ordertrail.domain.orders.order import Address, Customer, OrderSpec, ParcelSpec
from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.events import Location
from ordertrail.domain.scanning.scans import ScanInput
from ordertrail.domain.scanning.status import Status
from ordertrail.services.accounts.merchants import create_merchant
from ordertrail.services.context import Services
from ordertrail.services.orders.placing import place_order
from ordertrail.services.scanning.record import record_scans
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.scanning import events as scan_store

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SCANNER = Principal(key_id=None, role=Role.SCANNER, name="test")


def scan(number: str, status: Status, hours: float, facility: str) -> ScanInput:
    event_id = str(uuid.uuid4())
    return ScanInput(
        event_id=event_id,
        tracking_number=number,
        status=status,
        occurred_at=START + timedelta(hours=hours),
        body_hash=hashlib.sha256(event_id.encode()).hexdigest(),
        location=Location(facility=facility, city="Leeds", country="GB"),
    )


def test_in_order_and_late_scans_keep_the_same_place_as_a_replay(run_services: Callable[..., Any]) -> None:
    async def work(services: Services) -> None:
        moment = [START + timedelta(days=3)]
        services.clock = lambda: moment[0]
        merchant_id = await create_merchant(services, name="Shop")
        spec = OrderSpec(
            order_number="S-1",
            customer=Customer(name="Ada", email="ada@example.com"),
            destination=Address(line1="1 Row", city="Leeds", postal_code="LS1 4AP", country="GB"),
            placed_at=START,
            parcels=(ParcelSpec(),),
        )
        admin = Principal(key_id=None, role=Role.ADMIN, name="test")
        number = (await place_order(services, principal=admin, spec=spec, merchant_id=merchant_id)).parcels[0]
        tn = number.tracking_number
        for batch in (
            [scan(tn, Status.PROCESSING, 1, "Warehouse Leeds"), scan(tn, Status.DISPATCHED, 5, "Warehouse Leeds")],
            [scan(tn, Status.IN_TRANSIT, 20, "Hub Birmingham")],
            [scan(tn, Status.IN_TRANSIT, 30, "Hub London")],
            [scan(tn, Status.PACKED, 3, "Warehouse Leeds")],  # late, before the current step: no replay needed
            [scan(tn, Status.IN_TRANSIT, 12, "Hub Manchester")],  # a late hub: the current hub is now the third
            [scan(tn, Status.IN_TRANSIT, 25, "Hub Crewe")],  # late again
        ):
            moment[0] += timedelta(minutes=1)  # recorded later than the batch before: late scans are flagged late
            await record_scans(services, scans=batch, principal=SCANNER)

            def check(connection: Connection) -> None:
                parcel = parcel_store.parcels_by_tracking_number(connection, [tn])[tn]
                events = scan_store.events_of(connection, [parcel.id])[parcel.id]
                visits = visits_of(derive(events))
                assert parcel.estimate is not None
                assert (parcel.estimate.step, parcel.estimate.step_started_at) == (
                    visits[-1].step,
                    visits[-1].started_at,
                )
                assert parcel.estimate.hubs == sum(v.step.startswith("in_transit") for v in visits)
                assert parcel.estimate.origin == "Warehouse Leeds"

            await services.db.read(check)

    run_services(work)
