"""Issue 12, finding 10 on PostgreSQL: its disk_full error (SQLSTATE 53100) is answered like a full SQLite disk.

This process cannot fill the PostgreSQL server's volume, so a trigger raises the very SQLSTATE a full volume
gives ("could not extend file"), and it travels the real way: PostgreSQL, asyncpg, SQLAlchemy, the store's
error translation, the ingestor, problem+json. Dropping the trigger is the space coming back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest
from fastapi.testclient import TestClient

from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body, wait_for
from tests.integration.test_store_full import assert_store_full
from tests.support.store import run_async

pytestmark = pytest.mark.postgres

FULL = """
CREATE FUNCTION disk_is_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
END $$;
CREATE TRIGGER disk_is_full BEFORE INSERT ON scan_event FOR EACH ROW EXECUTE FUNCTION disk_is_full();
"""


@pytest.fixture
def settings(tmp_path: Path, postgres_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=postgres_url, public_base_url="http://t")


def execute(url: str, sql: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    run_async(run())


def test_postgres_disk_full_is_answered_507_and_readyz_recovers(
    client: TestClient, settings: Settings, make_key: Callable[..., str]
) -> None:
    url = settings.resolved_database_url
    merchant, scanner = make_key("merchant", merchant="Full Shop"), make_key("scanner")
    placed = client.post("/api/v1/orders", json=order_body(), headers=auth(merchant))
    assert placed.status_code == 201, placed.text
    number = placed.json()["parcels"][0]["tracking_number"]
    assert client.get("/readyz").status_code == 200

    execute(url, FULL)
    refused = scan_body(number, "processing")
    assert_store_full(client.post("/api/v1/scans", json=refused, headers=auth(scanner)))
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["store"] == "unwritable", ready.text

    execute(url, "DROP TRIGGER disk_is_full ON scan_event")
    wait_for(lambda: client.get("/readyz").status_code == 200, timeout=20, what="/readyz ready again")
    # Nothing of the refused scan was stored: sent again, it is new (201), not a duplicate (200).
    assert client.post("/api/v1/scans", json=refused, headers=auth(scanner)).status_code == 201
