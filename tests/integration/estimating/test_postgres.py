"""Estimates on PostgreSQL: the migration, the scan path, learning a delivery, revisions and the stalled sweep."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.orders.order import Address, Customer, OrderSpec, ParcelSpec
from ordertrail.domain.scanning.events import Location
from ordertrail.domain.scanning.scans import ScanInput
from ordertrail.domain.scanning.status import Status
from ordertrail.services.accounts.merchants import create_merchant
from ordertrail.services.context import Services
from ordertrail.services.estimating.learning import learn
from ordertrail.services.estimating.queries import estimate_history, flagged
from ordertrail.services.estimating.sweep import sweep
from ordertrail.services.orders.placing import place_order
from ordertrail.services.scanning.record import record_scans
from ordertrail.storage.database import PostgresDatabase
from ordertrail.storage.estimating.lane_stats import load_lane_stats
from ordertrail.storage.migrate import upgrade

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADMIN = Principal(key_id=None, role=Role.ADMIN, name="test")
SCANNER = Principal(key_id=None, role=Role.SCANNER, name="test")


def scan(number: str, status: Status, at: datetime, reason: str | None = None) -> ScanInput:
    event_id = str(uuid.uuid4())
    return ScanInput(
        event_id=event_id,
        tracking_number=number,
        status=status,
        occurred_at=at,
        body_hash=hashlib.sha256(event_id.encode()).hexdigest(),
        location=Location(facility="Hub Leeds", city="Leeds", country="GB"),
        reason=reason,
    )


def test_estimates_delays_learning_and_stalls_on_postgresql(postgres_url: str) -> None:
    pg_url = postgres_url
    upgrade(pg_url)
    clock = [MONDAY]

    async def main() -> None:
        db = PostgresDatabase(pg_url)
        services = Services(db=db, clock=lambda: clock[0])
        try:
            merchant_id = await create_merchant(services, name="PG Shop")
            spec = OrderSpec(
                order_number="PG-1",
                customer=Customer(name="Ada", email="ada@example.com"),
                destination=Address(line1="1 Row", city="London", postal_code="N1 9GU", country="GB"),
                promised_delivery_date=date(2026, 3, 6),
                parcels=(ParcelSpec(), ParcelSpec()),
            )
            view = await place_order(services, principal=ADMIN, spec=spec, merchant_id=merchant_id)
            late, delivered = (p.tracking_number for p in view.parcels)
            for number in (late, delivered):
                clock[0] = MONDAY + timedelta(hours=9)
                await record_scans(services, scans=[scan(number, Status.DISPATCHED, clock[0])], principal=SCANNER)
            clock[0] = datetime(2026, 3, 6, 10, tzinfo=UTC)  # the hub scan comes on Friday
            await record_scans(services, scans=[scan(late, Status.IN_TRANSIT, clock[0])], principal=SCANNER)
            revisions = await estimate_history(services, principal=ADMIN, tracking_number=late)
            assert revisions[-1].reason == "missed_step" and revisions[-1].delayed
            assert revisions[-1].earliest == date(2026, 3, 9)

            await record_scans(
                services,
                scans=[scan(delivered, Status.OUT_FOR_DELIVERY, clock[0]), scan(delivered, Status.DELIVERED, clock[0])],
                principal=SCANNER,
            )
            assert (await db.read(load_lane_stats)).parcels == 0  # not in the scan's transaction
            assert await learn(services) == 1
            assert await learn(services) == 0
            stats = await db.read(load_lane_stats)
            assert stats.parcels == 1  # learned once, incrementally

            clock[0] += timedelta(days=3)  # no scan of the late parcel since Friday
            result = await sweep(services)
            assert result.stalled == [late]
            listed = await flagged(services, principal=ADMIN, stalled=True, delayed=None, before_id=None, limit=10)
            assert [p.tracking_number for p in listed] == [late]
        finally:
            await db.close()

    asyncio.run(main())
