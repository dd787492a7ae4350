"""A 2xx means durable: SIGKILL the server while 50 clients post scans; every acknowledged scan survives, once."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import auth, order_body, scan_body, start_server, wait_for
from tests.support.store import rows

pytestmark = pytest.mark.slow

CLIENTS = 50


def test_sigkill_during_ingest_loses_no_acknowledged_scan(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = start_server(data_dir)
    merchant = server.cli("keys", "create", "--role", "admin", "--name", "ops").stdout.strip().splitlines()[-1]
    assert server.cli("merchants", "create", "Crash Shop").returncode == 0
    scanner = server.cli("keys", "create", "--role", "scanner", "--name", "gun").stdout.strip().splitlines()[-1]
    with server.http() as http:
        placed = http.post(
            "/api/v1/orders", json={**order_body(parcels=[{}] * 10), "merchant": "Crash Shop"}, headers=auth(merchant)
        )
        assert placed.status_code == 201, placed.text
    numbers = [p["tracking_number"] for p in placed.json()["parcels"]]

    acknowledged: list[str] = []
    sent = threading.Event()
    start = datetime.now(UTC) - timedelta(days=1)

    async def client(index: int, http: httpx.AsyncClient) -> None:
        for i in range(10_000):
            body = scan_body(numbers[index % len(numbers)], "in_transit", at=start + timedelta(seconds=i))
            try:
                response = await http.post("/api/v1/scans", json=body, headers=auth(scanner))
            except httpx.HTTPError:
                return  # the server is gone
            if response.status_code in (200, 201):
                acknowledged.append(body["event_id"])
                if len(acknowledged) >= 300:
                    sent.set()

    async def load() -> None:
        limits = httpx.Limits(max_connections=CLIENTS)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10, limits=limits) as http:
            await asyncio.gather(*(client(i, http) for i in range(CLIENTS)))

    runner = threading.Thread(target=lambda: asyncio.run(load()))
    runner.start()
    wait_for(sent.is_set, timeout=60, what="300 acknowledged scans")
    server.stop(kill=True)  # SIGKILL mid-flight
    runner.join(timeout=60)
    assert not runner.is_alive()

    restarted = start_server(data_dir)
    try:
        stored = Counter(row["event_id"] for row in rows(restarted.database_url, "SELECT event_id FROM scan_event"))
        missing = [event_id for event_id in acknowledged if stored[event_id] != 1]
        assert not missing, f"{len(missing)} acknowledged scans lost or doubled"
        with restarted.http() as http:
            tracked = http.get(f"/api/v1/tracking/{numbers[0]}")
            assert tracked.status_code == 200
    finally:
        restarted.stop()
    assert len(acknowledged) >= 300
