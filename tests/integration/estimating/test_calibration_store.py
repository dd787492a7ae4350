"""Calibration in production (ORDERTRAIL_ETA_CALIBRATE): the learning job scores each delivery against the
statistics as they were before learning it, and the scores are kept with the network key's row."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.estimating.calibration import PIT_BINS
from ordertrail.domain.orders.order import Address, Customer, OrderSpec, ParcelSpec
from ordertrail.domain.scanning.events import Location
from ordertrail.domain.scanning.scans import ScanInput
from ordertrail.domain.scanning.status import Status
from ordertrail.services.accounts.merchants import create_merchant
from ordertrail.services.context import Services
from ordertrail.services.estimating.learning import learn
from ordertrail.services.estimating.runtime import runtime_for
from ordertrail.services.orders.placing import place_order
from ordertrail.services.scanning.record import record_scans
from ordertrail.settings import Settings
from ordertrail.storage.database import open_database
from ordertrail.storage.estimating.lane_stats import load_lane_stats
from ordertrail.storage.migrate import upgrade

ADMIN = Principal(key_id=None, role=Role.ADMIN, name="test")
SCANNER = Principal(key_id=None, role=Role.SCANNER, name="test")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def scan(number: str, status: Status, at: datetime) -> ScanInput:
    event_id = str(uuid.uuid4())
    return ScanInput(
        event_id=event_id,
        tracking_number=number,
        status=status,
        occurred_at=at,
        body_hash=hashlib.sha256(event_id.encode()).hexdigest(),
        location=Location(facility="Warehouse Leeds", city="Leeds", country="GB"),
    )


async def ship(services: Services, merchant_id: int, name: str, parcels: int, week: int, transit_days: int) -> None:
    """An order of ``parcels`` parcels dispatched on a Monday and delivered ``transit_days`` later."""
    spec = OrderSpec(
        order_number=name,
        customer=Customer(name="Ada", email="ada@example.com"),
        destination=Address(line1="1 Row", city="London", postal_code="N1 9GU", country="GB"),
        placed_at=MONDAY + timedelta(weeks=week),
        parcels=tuple(ParcelSpec() for _ in range(parcels)),
    )
    view = await place_order(services, principal=ADMIN, spec=spec, merchant_id=merchant_id)
    dispatched = MONDAY + timedelta(weeks=week, hours=2)
    delivered = dispatched + timedelta(days=transit_days)
    for parcel in view.parcels:
        number = parcel.tracking_number
        scans = [scan(number, Status.DISPATCHED, dispatched), scan(number, Status.DELIVERED, delivered)]
        await record_scans(services, scans=scans, principal=SCANNER)


def test_the_learning_job_scores_deliveries_and_keeps_the_calibration(settings: Settings) -> None:
    url = settings.resolved_database_url
    upgrade(url)

    async def main() -> None:
        db = open_database(url)
        clock = [MONDAY + timedelta(weeks=4)]
        runtime = runtime_for(enabled=True, calibrate=True, official_holidays=False)
        services = Services(db=db, clock=lambda: clock[0], estimates=runtime)
        try:
            merchant_id = await create_merchant(services, name="Calibrated Shop")
            await ship(services, merchant_id, "C-1", 40, week=0, transit_days=1)  # the history: next day
            assert await learn(services) == 40
            stats = await db.read(load_lane_stats)
            assert stats.calibration.steps == {}  # nothing to score against before there was history
            clock[0] += timedelta(weeks=2)
            await ship(services, merchant_id, "C-2", 10, week=2, transit_days=3)  # then slower than all of it
            assert await learn(services) == 10
            stats = await db.read(load_lane_stats)
            scored = sum(pit.scored for pit in stats.calibration.steps.values())
            assert scored >= 10
            # They came later than their estimates thought likely: the PIT weight crowds at the top.
            weights = [sum(bins) for bins in zip(*(p.weights for p in stats.calibration.steps.values()), strict=True)]
            assert sum(weights[PIT_BINS * 3 // 4 :]) / sum(weights) > 0.75, weights
            assert stats.parcels == 50
        finally:
            await db.close()

    asyncio.run(main())
