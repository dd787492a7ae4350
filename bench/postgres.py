"""PostgreSQL pieces of the benchmark: the cached bulk-loaded store, and the bare asyncpg insert baselines."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.bulk_load_pg import STORE_FORMAT, bulk_load_pg, plain_url


def _with_database(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def _admin(admin_url: str, *statements: str) -> None:
    connection = await asyncpg.connect(plain_url(admin_url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _exists(admin_url: str, name: str) -> bool:
    connection = await asyncpg.connect(plain_url(admin_url))
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await connection.close()


def prepared_store(admin_url: str, parcels: int, cache: Path) -> tuple[str, list[str]]:
    """A fresh copy of the cached database of ``parcels`` parcels (bulk-loaded once), and 10,000 of its numbers."""
    template = f"ordertrail_bench_v{STORE_FORMAT}_{parcels}"
    sample_file = cache / f"pg-store-v{STORE_FORMAT}-{parcels}" / "sample.json"
    if not (asyncio.run(_exists(admin_url, template)) and sample_file.exists()):
        print(f"building a PostgreSQL store of {parcels:,} parcels and {parcels * 5:,} events (COPY)…", flush=True)
        asyncio.run(
            _admin(admin_url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)', f'CREATE DATABASE "{template}"')
        )
        sample = asyncio.run(bulk_load_pg(_with_database(admin_url, template), parcels=parcels))
        sample_file.parent.mkdir(parents=True, exist_ok=True)
        sample_file.write_text(json.dumps(sample))
    run = "ordertrail_bench_run"
    print("copying the cached store…", flush=True)
    asyncio.run(
        _admin(
            admin_url,
            f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)',
            f'CREATE DATABASE "{run}" TEMPLATE "{template}" STRATEGY FILE_COPY',
        )
    )
    return _with_database(admin_url, run), json.loads(sample_file.read_text())


_BARE_TABLE = """
CREATE TABLE bare_scan_event (
    id bigserial PRIMARY KEY, event_id varchar(36) UNIQUE NOT NULL, parcel_id bigint, sequence integer,
    status varchar(32), substatus varchar(64), occurred_at timestamptz, occurred_offset_minutes smallint,
    recorded_at timestamptz, facility varchar(200), city varchar(100), country varchar(2), body_hash varchar(64)
)"""
_COLUMNS = (
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
    "country",
    "body_hash",
)

_INSERT = (
    "INSERT INTO bare_scan_event (event_id, parcel_id, sequence, status, substatus, occurred_at,"
    " occurred_offset_minutes, recorded_at, facility, city, country, body_hash)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
)


def bare_inserts(url: str, batches: list[list[dict[str, Any]]]) -> tuple[float, float]:
    """Rows/s of a bare asyncpg insert of the same rows, one commit per batch: (executemany, COPY)."""

    async def main() -> tuple[float, float]:
        connection = await asyncpg.connect(plain_url(url))
        try:
            rates = []
            for method in ("executemany", "copy"):
                await connection.execute("DROP TABLE IF EXISTS bare_scan_event")
                await connection.execute(_BARE_TABLE)
                now = datetime.now(UTC)
                prepared = [
                    [
                        (
                            s["event_id"],
                            i,
                            i,
                            s["status"],
                            s["substatus"],
                            now,
                            0,
                            now,
                            "Hub Leeds",
                            "Leeds",
                            "GB",
                            "x" * 64,
                        )
                        for i, s in enumerate(batch)
                    ]
                    for batch in batches
                ]
                started = time.perf_counter()
                for records in prepared:
                    async with connection.transaction():
                        if method == "copy":
                            await connection.copy_records_to_table("bare_scan_event", records=records, columns=_COLUMNS)
                        else:
                            await connection.executemany(
                                _INSERT,
                                records,
                            )
                rates.append(sum(len(r) for r in prepared) / (time.perf_counter() - started))
            await connection.execute("DROP TABLE bare_scan_event")
            return rates[0], rates[1]
        finally:
            await connection.close()

    return asyncio.run(main())
