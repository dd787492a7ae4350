"""`ordertrail serve --workers 2`: two processes on one port, without Redis (streams poll the store) and with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServerProcess, auth, order_body, scan_body, start_server, wait_for
from tests.support.scale import RedisServer, SseClient, redis_server

__all__ = ["redis_server"]

pytestmark = pytest.mark.slow


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def every_scan_reaches_the_stream(server: ServerProcess) -> None:
    def worker_processes() -> bool:
        return len([c for c in children(server.process.pid) if "spawn" in Path(f"/proc/{c}/cmdline").read_text()]) == 2

    wait_for(worker_processes, timeout=15, what="two server processes")
    assert server.cli("merchants", "create", "Many Shop").returncode == 0
    made = server.cli("keys", "create", "--role", "merchant", "--name", "shop", "--merchant", "Many Shop")
    merchant = made.stdout.strip().splitlines()[-1]
    scanner = server.cli("keys", "create", "--role", "scanner", "--name", "gun").stdout.strip().splitlines()[-1]
    with server.http() as http:
        placed = http.post("/api/v1/orders", json=order_body(), headers=auth(merchant))
        assert placed.status_code == 201, placed.text
    number = placed.json()["parcels"][0]["tracking_number"]
    stream = SseClient(f"{server.base_url}/api/v1/tracking/{number}/events").start()
    try:
        start = datetime.now(UTC) - timedelta(hours=1)
        for i in range(15):  # a new connection each: the kernel hands them to either process
            body = scan_body(number, "in_transit", at=start + timedelta(seconds=i))
            response = httpx.post(f"{server.base_url}/api/v1/scans", json=body, headers=auth(scanner), timeout=30)
            assert response.status_code == 201, response.text
        expected = [str(sequence) for sequence in range(2, 17)]
        wait_for(lambda: stream.ids() == expected, timeout=10, what=f"{expected} at the stream, got {stream.ids()}")
    finally:
        stream.stop()


def test_two_processes_without_redis_each_with_its_own_writer(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", args=("--workers", "2"), extra_env={"ORDERTRAIL_SSE_KEEPALIVE_S": "1"})
    try:
        every_scan_reaches_the_stream(server)
    finally:
        server.stop()


@pytest.mark.postgres
def test_two_processes_on_postgresql_and_redis(tmp_path: Path, postgres_url: str, redis_server: RedisServer) -> None:
    server = start_server(
        tmp_path / "data",
        args=("--workers", "2"),
        database_url=postgres_url,
        extra_env={"ORDERTRAIL_REDIS_URL": redis_server.url, "ORDERTRAIL_SSE_KEEPALIVE_S": "1"},
    )
    try:
        every_scan_reaches_the_stream(server)
    finally:
        server.stop()
