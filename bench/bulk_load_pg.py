"""Fill a PostgreSQL store with many parcels and events quickly (COPY), for the lookup benchmark.

The PostgreSQL twin of ``bench/bulk_load.py``: the same orders, parcels (with their projection) and event
lifecycles from the same seed, written with asyncpg's binary COPY instead of the use cases. The secondary
indexes are built after the load (faster than maintaining them row by row), then the tables are analysed.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from bench.bulk_load import AT_SORTING, CITIES, LIFECYCLE, current_stay, first_visits
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.scanning.transitions import RANK
from ordertrail.domain.tracking import tracking_number as tn
from ordertrail.storage.migrate import upgrade

ORDER_COLUMNS = (
    "id",
    "merchant_id",
    "order_number",
    "placed_at",
    "customer_name",
    "customer_email",
    "customer_phone",
    "destination_line1",
    "destination_line2",
    "destination_city",
    "destination_region",
    "destination_postal_code",
    "destination_country",
    "promised_delivery_date",
    "created_at",
)
PARCEL_COLUMNS = (
    "id",
    "order_id",
    "tracking_number",
    "position",
    "reference",
    "weight_grams",
    "status",
    "substatus",
    "furthest_rank",
    "last_sequence",
    "status_version",
    "status_changed_at",
    "last_event_at",
    "updated_at",
    "stay_facility",
    "stay_since",
)
STORE_FORMAT = 2  # bump when what this writes changes: cached databases of older formats are rebuilt
VISIT_COLUMNS = ("parcel_id", "facility", "since", "until", "ended_on", "hours")
EVENT_COLUMNS = (
    "event_id",
    "parcel_id",
    "sequence",
    "status",
    "substatus",
    "occurred_at",
    "occurred_offset_minutes",
    "recorded_at",
    "facility",
    "city",
    "region",
    "postal_code",
    "country",
    "lat",
    "lon",
    "note",
    "reason",
    "voids_event_id",
    "api_key_id",
    "body_hash",
    "has_proof",
)


def plain_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _indexes_on(connection: asyncpg.Connection, table: str) -> list[tuple[str, str]]:
    """(name, definition) of the plain (non-constraint) indexes of ``table``."""
    rows = await connection.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 AND indexname NOT IN"
        " (SELECT conname FROM pg_constraint)",
        table,
    )
    return [(row["indexname"], row["indexdef"]) for row in rows]


async def bulk_load_pg(
    url: str, *, parcels: int, events_per_parcel: int = 5, seed: int = 1, chunk: int = 50_000
) -> list[str]:
    """Create ``parcels`` parcels (one per order) with ``events_per_parcel`` events each; returns 10,000 numbers."""
    await asyncio.to_thread(upgrade, url)
    rng = random.Random(seed)
    connection = await asyncpg.connect(plain_url(url))
    try:
        await connection.execute("SET synchronous_commit = off")  # a fixture: the loader's durability does not matter
        now = datetime.now(UTC)
        merchant_id = await connection.fetchval(
            "INSERT INTO merchant (name, created_at) VALUES ('Bench Shop', $1) RETURNING id", now
        )
        next_order = (await connection.fetchval('SELECT coalesce(max(id), 0) FROM "order"')) + 1
        dropped = [*await _indexes_on(connection, "scan_event"), *await _indexes_on(connection, "parcel")]
        for name, _ in dropped:
            await connection.execute(f'DROP INDEX "{name}"')
        sample: list[str] = []
        steps = LIFECYCLE[:events_per_parcel]
        for start in range(0, parcels, chunk):
            count = min(chunk, parcels - start)
            orders, parcel_rows, event_rows, visit_rows = [], [], [], []
            for i in range(count):
                order_id = next_order + start + i
                placed = now - timedelta(hours=rng.uniform(24 * 4, 24 * 30))
                city, country = rng.choice(CITIES)
                number = tn.generate(rng.randrange)
                if len(sample) < 10_000:
                    sample.append(number)
                orders.append(
                    (
                        order_id,
                        merchant_id,
                        f"B-{order_id}",
                        placed,
                        "Bench Customer",
                        "bench@example.com",
                        None,
                        "1 Bench Road",
                        None,
                        city,
                        None,
                        "10115",
                        country,
                        None,
                        now,
                    )
                )
                at = last = placed
                scanned_at: list[tuple[str, datetime]] = []
                for sequence, status in enumerate(steps, start=1):
                    facility = f"Sort {city}" if status in AT_SORTING else "Hub"
                    scanned_at.append((facility, at))
                    event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    event_rows.append(
                        (
                            event_id,
                            order_id,
                            sequence,
                            status,
                            None,
                            at,
                            60,
                            at,
                            facility,
                            city,
                            None,
                            None,
                            country,
                            None,
                            None,
                            None,
                            None,
                            None,
                            None,
                            "",
                            False,
                        )
                    )
                    last = at
                    at = at + timedelta(hours=rng.uniform(1, 12))
                rank = RANK[Status(steps[-1])]
                parcel_rows.append(
                    (
                        order_id,
                        order_id,
                        number,
                        1,
                        None,
                        1000,
                        steps[-1],
                        None,
                        rank,
                        len(steps),
                        len(steps) - 1,
                        last,
                        last,
                        now,
                        *current_stay(scanned_at),
                    )
                )
                visit_rows += [
                    (order_id, f, since, until, (until + timedelta(minutes=60)).date(), hours)
                    for f, since, until, hours in first_visits(scanned_at)
                ]
            async with connection.transaction():
                await connection.copy_records_to_table("order", records=orders, columns=ORDER_COLUMNS)
                await connection.copy_records_to_table("parcel", records=parcel_rows, columns=PARCEL_COLUMNS)
                await connection.copy_records_to_table("scan_event", records=event_rows, columns=EVENT_COLUMNS)
                await connection.copy_records_to_table("facility_visit", records=visit_rows, columns=VISIT_COLUMNS)
            print(f"  {start + count:,} parcels", flush=True)
        for _, definition in dropped:
            await connection.execute(definition)
        for table in ("order", "parcel", "scan_event"):
            # Keys were given explicitly: move each sequence past them so the server's inserts do not collide.
            sequence = f"pg_get_serial_sequence('\"{table}\"', 'id')"
            await connection.execute(f'SELECT setval({sequence}, (SELECT max(id) FROM "{table}"))')  # noqa: S608
        await connection.execute('ANALYZE "order", parcel, scan_event')
        return sample
    finally:
        await connection.close()
