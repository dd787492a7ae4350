"""Production mode for real: two API processes and a worker on PostgreSQL and Redis (a Redis server of our own)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServerProcess, auth, order_body, scan_body, start_server, wait_for
from tests.support.notify import Receiver, receiver
from tests.support.scale import RedisServer, SseClient, redis_server, start_worker
from tests.support.store import rows

__all__ = ["receiver", "redis_server"]

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@dataclass
class Cluster:
    first: ServerProcess
    second: ServerProcess
    worker: subprocess.Popen[bytes]
    merchant: str
    scanner: str

    def place(self, parcels: int = 1) -> list[str]:
        with self.first.http() as http:
            placed = http.post("/api/v1/orders", json=order_body(parcels=[{}] * parcels), headers=auth(self.merchant))
        assert placed.status_code == 201, placed.text
        return [p["tracking_number"] for p in placed.json()["parcels"]]


def live_over_redis(server: ServerProcess) -> bool:
    return bool(httpx.get(f"{server.base_url}/readyz", timeout=2).json()["live"] == "redis")


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str, redis_server: RedisServer) -> Iterator[Cluster]:
    env = {
        "ORDERTRAIL_REDIS_URL": redis_server.url,
        "ORDERTRAIL_WORKER_IN_PROCESS": "false",  # deliveries are the worker process's job
        "ORDERTRAIL_WEBHOOK_ALLOW_PRIVATE": "true",
        "ORDERTRAIL_WEBHOOK_PORTS": "*",
        "ORDERTRAIL_SSE_KEEPALIVE_S": "1",
        "ORDERTRAIL_PUBLIC_RATE_LIMIT": "0",
        "ORDERTRAIL_SECRET_KEY": "one-key-for-every-process",
    }
    first = start_server(tmp_path / "a", extra_env=env, database_url=postgres_url)
    second = start_server(tmp_path / "b", extra_env=env, database_url=postgres_url)
    worker = start_worker(first.env, tmp_path / "worker.log")
    try:
        assert first.cli("merchants", "create", "Scale Shop").returncode == 0
        made = first.cli("keys", "create", "--role", "merchant", "--name", "shop", "--merchant", "Scale Shop")
        merchant = made.stdout.strip().splitlines()[-1]
        scanner = first.cli("keys", "create", "--role", "scanner", "--name", "gun").stdout.strip().splitlines()[-1]
        wait_for(lambda: live_over_redis(first) and live_over_redis(second), timeout=15, what="redis subscriptions")
        yield Cluster(first, second, worker, merchant, scanner)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        first.stop()
        second.stop()


def post_scan(server: ServerProcess, scanner: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{server.base_url}/api/v1/scans", json=body, headers=auth(scanner), timeout=30)


def test_a_scan_posted_to_one_process_reaches_a_stream_on_the_other_within_a_second(
    cluster: Cluster, receiver: Receiver
) -> None:
    with cluster.first.http() as http:
        created = http.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth(cluster.merchant))
        assert created.status_code == 201, created.text
    (number,) = cluster.place()
    stream = SseClient(f"{cluster.second.base_url}/api/v1/tracking/{number}/events").start()
    try:
        for sequence in (2, 3, 4):
            body = scan_body(number, "in_transit", at=datetime.now(UTC) - timedelta(minutes=10 - sequence))
            response = post_scan(cluster.first, cluster.scanner, body)
            assert response.status_code == 201, response.text
            acknowledged = time.monotonic()
            wait_for(
                lambda s=sequence: str(s) in stream.ids(), timeout=1.0, what=f"event {sequence} on the other process"
            )
            arrived = stream.arrival(str(sequence))
            assert arrived is not None and arrived - acknowledged < 1.0
        assert stream.ids() == ["2", "3", "4"]
    finally:
        stream.stop()
    # ...and the worker process delivered the webhooks the scans caused (in_transit: one per status change).
    wait_for(lambda: any(r.body and b"parcel." in r.body for r in receiver.snapshot()), timeout=15, what="a webhook")


def test_redis_down_during_ingest_fails_no_scan_and_streams_catch_up_without_duplicates(
    cluster: Cluster, redis_server: RedisServer
) -> None:
    (number,) = cluster.place()
    streams = [
        SseClient(f"{server.base_url}/api/v1/tracking/{number}/events").start()
        for server in (cluster.first, cluster.second)
    ]
    start = datetime.now(UTC) - timedelta(hours=1)
    sent = 0

    def ingest(count: int) -> None:
        nonlocal sent
        for _ in range(count):
            sent += 1
            body = scan_body(number, "in_transit", at=start + timedelta(seconds=sent))
            target = cluster.first if sent % 2 else cluster.second  # both processes write the same parcel
            response = post_scan(target, cluster.scanner, body)
            assert response.status_code == 201, response.text  # Redis is never on the write path

    def everything_arrived(stream: SseClient) -> bool:
        return len(stream.ids()) >= sent

    try:
        ingest(10)
        for stream in streams:
            wait_for(lambda s=stream: everything_arrived(s), timeout=5, what="live events")

        redis_server.stop()  # mid-ingest
        ingest(20)
        wait_for(lambda: not live_over_redis(cluster.second), timeout=10, what="the bus noticing Redis is gone")
        ingest(10)
        for stream in streams:  # read from the store while the bus is down
            wait_for(lambda s=stream: everything_arrived(s), timeout=10, what="streams catching up from the store")

        redis_server.start()
        wait_for(lambda: live_over_redis(cluster.first) and live_over_redis(cluster.second), timeout=15, what="resub")
        ingest(10)
        for stream in streams:
            wait_for(lambda s=stream: everything_arrived(s), timeout=5, what="live events after Redis returned")
        ingest(1)  # a last event: anything sent twice before it would be in the stream before it
        for stream in streams:
            wait_for(lambda s=stream: str(sent + 1) in s.ids(), timeout=5, what="the last event")
        expected = [str(sequence) for sequence in range(2, sent + 2)]
        for stream in streams:
            assert stream.ids() == expected  # each event once, in order: no duplicate id, none missing
    finally:
        for stream in streams:
            stream.stop()


def test_sigkill_of_one_api_process_during_ingest_loses_no_acknowledged_scan(cluster: Cluster) -> None:
    numbers = cluster.place(parcels=10)
    acknowledged: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()
    start = datetime.now(UTC) - timedelta(days=1)

    async def client(index: int, http: httpx.AsyncClient, base: str) -> None:
        for i in range(10_000):
            body = scan_body(numbers[index % len(numbers)], "in_transit", at=start + timedelta(seconds=i))
            try:
                response = await http.post(f"{base}/api/v1/scans", json=body, headers=auth(cluster.scanner))
            except httpx.HTTPError:
                return  # that server is gone
            if response.status_code in (200, 201):
                with lock:
                    acknowledged.append(body["event_id"])
                    if len(acknowledged) >= 400:
                        enough.set()
            if index % 2 == 1 and len(acknowledged) >= 800:
                return  # the clients of the surviving process stop after a while

    async def load() -> None:
        async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=40)) as http:
            bases = (cluster.first.base_url, cluster.second.base_url)
            await asyncio.gather(*(client(i, http, bases[i % 2]) for i in range(40)))

    runner = threading.Thread(target=lambda: asyncio.run(load()))
    runner.start()
    wait_for(enough.is_set, timeout=60, what="400 acknowledged scans")
    cluster.first.process.send_signal(signal.SIGKILL)  # mid-flight, with the other process writing the same parcels
    runner.join(timeout=120)
    assert not runner.is_alive()

    stored = rows(cluster.second.database_url, "SELECT event_id, parcel_id, sequence FROM scan_event")
    counts = Counter(row["event_id"] for row in stored)
    missing = [event_id for event_id in acknowledged if counts[event_id] != 1]
    assert not missing, f"{len(missing)} acknowledged scans lost or doubled"
    by_parcel: dict[int, list[int]] = {}
    for row in stored:
        by_parcel.setdefault(row["parcel_id"], []).append(row["sequence"])
    for sequences in by_parcel.values():  # two writers, one parcel: sequences never collide, never skip
        assert sorted(sequences) == list(range(1, len(sequences) + 1))
    assert len(acknowledged) >= 400


def test_the_same_event_id_posted_to_both_processes_at_once_is_stored_once(cluster: Cluster) -> None:
    (number,) = cluster.place()
    start = datetime.now(UTC) - timedelta(hours=2)
    bodies = [scan_body(number, "in_transit", at=start + timedelta(seconds=i)) for i in range(40)]

    async def race() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as http:

            async def post(base: str, body: dict[str, object]) -> int:
                response = await http.post(f"{base}/api/v1/scans", json=body, headers=auth(cluster.scanner))
                return response.status_code

            posts = [post(server.base_url, body) for body in bodies for server in (cluster.first, cluster.second)]
            return list(await asyncio.gather(*posts))

    statuses = asyncio.run(race())
    assert set(statuses) <= {200, 201}, Counter(statuses)
    assert statuses.count(201) == len(bodies)  # exactly one of each pair created it; the other got the stored result
    ids = [b["event_id"] for b in bodies]
    wanted = set(ids)
    stored = [
        r
        for r in rows(cluster.first.database_url, "SELECT event_id, sequence FROM scan_event")
        if r["event_id"] in wanted
    ]
    assert Counter(r["event_id"] for r in stored) == Counter(ids)
    assert len({r["sequence"] for r in stored}) == len(ids)
