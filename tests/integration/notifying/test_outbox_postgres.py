"""Outbox claims on PostgreSQL: concurrent workers take disjoint rows (FOR UPDATE SKIP LOCKED), never waiting."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.orders.order import Address, Customer, OrderSpec, ParcelSpec
from ordertrail.services.context import Services
from ordertrail.services.orders.placing import place_order
from ordertrail.storage.database import PostgresDatabase, sqlalchemy_url
from ordertrail.storage.migrate import upgrade
from ordertrail.storage.notifying import endpoints as notification_store
from ordertrail.storage.notifying import outbox as outbox_store

ADMIN_URL = os.environ.get("ORDERTRAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A throwaway database, dropped afterwards."""
    name = f"ordertrail_notify_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_execute(ADMIN_URL, f'CREATE DATABASE "{name}"'))
    except OSError as error:
        pytest.skip(f"no PostgreSQL at {ADMIN_URL}: {error}")
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        asyncio.run(_execute(ADMIN_URL, f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _execute(url: str, statement: str) -> None:
    engine = create_async_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def test_concurrent_claims_are_disjoint_and_do_not_wait(pg_url: str) -> None:
    upgrade(pg_url)

    async def main() -> None:
        db = PostgresDatabase(pg_url)
        services = Services(db=db)
        try:
            from ordertrail.services.accounts.merchants import create_merchant

            merchant_id = await create_merchant(services, name="PG Shop")
            await db.write(
                lambda c: notification_store.insert_endpoint(
                    c,
                    merchant_id=merchant_id,
                    url="https://hooks.example.com/in",
                    description=None,
                    event_types=[],
                    secret="whsec_" + "A" * 44,
                    now=datetime.now(UTC),
                )
            )
            spec = OrderSpec(
                order_number="PG-1",
                customer=Customer(name="Ada", email="ada@example.com"),
                destination=Address(line1="1 Road", city="Leeds", postal_code="LS1", country="GB"),
                parcels=tuple(ParcelSpec() for _ in range(20)),
            )
            principal = Principal(key_id=None, role=Role.MERCHANT, name="m", merchant_id=merchant_id)
            await place_order(services, principal=principal, spec=spec)  # enqueues in its own transaction
            counts = await db.read(outbox_store.counts_by_state)
            assert counts == {"pending": 21}  # 20 webhooks and one confirmation email

            now = datetime.now(UTC)
            engine = db.engine
            async with engine.connect() as first, engine.connect() as second:
                await first.begin()
                await second.begin()
                lease = now + timedelta(minutes=1)
                a = await first.run_sync(
                    lambda c: outbox_store.claim(
                        c, worker="a", now=now, lease_until=lease, limit=12, channels=["webhook"]
                    )
                )
                # The first transaction still holds its rows locked: the second must skip them, not wait.
                b = await asyncio.wait_for(
                    second.run_sync(
                        lambda c: outbox_store.claim(
                            c, worker="b", now=now, lease_until=lease, limit=12, channels=["webhook"]
                        )
                    ),
                    timeout=5,
                )
                await first.commit()
                await second.commit()
            assert len(a) == 12 and len(b) == 8
            assert not {m.id for m in a} & {m.id for m in b}
        finally:
            await db.close()

    asyncio.run(main())
