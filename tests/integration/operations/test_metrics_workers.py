"""/metrics under `ordertrail serve --workers 2`: real processes, a load of scans and webhooks, and scrapes that
each see the sum of both processes (PROMETHEUS_MULTIPROC_DIR, made by the supervisor and removed at its end)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServerProcess, auth, order_body, scan_body, start_server, wait_for
from tests.integration.test_serve_workers import children
from tests.support.metrics import Scrape
from tests.support.notify import Receiver, outbox_rows, receiver
from tests.support.scale import SseClient

__all__ = ["receiver"]

pytestmark = pytest.mark.slow

SCANS = "ordertrail_scans_recorded_total"
DELIVERED = "ordertrail_outbox_messages_total"
STEPS = ("packed", "dispatched", "in_transit", "out_for_delivery")  # then "delivered", in a batch


def scrape(server: ServerProcess) -> Scrape:
    # A new connection each time: the kernel hands it to either process.
    response = httpx.get(f"{server.base_url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    return Scrape(response.text)


def worker_pids(server: ServerProcess) -> list[int]:
    return [c for c in children(server.process.pid) if "spawn" in Path(f"/proc/{c}/cmdline").read_text()]


def shared_directory(pid: int) -> Path:
    environ = dict(item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in item)
    return Path(environ["PROMETHEUS_MULTIPROC_DIR"])


def test_scrapes_during_a_load_see_both_processes_ingest_and_outbox_counters_move(
    tmp_path: Path, receiver: Receiver
) -> None:
    server = start_server(
        tmp_path / "data",
        args=("--workers", "2"),
        extra_env={
            "ORDERTRAIL_WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver listens on 127.0.0.1
            "ORDERTRAIL_WEBHOOK_PORTS": "*",
            "ORDERTRAIL_SSE_KEEPALIVE_S": "1",
        },
    )
    try:
        wait_for(lambda: len(worker_pids(server)) == 2, timeout=30, what="two server processes")
        pids = worker_pids(server)
        directory = shared_directory(pids[0])
        assert shared_directory(pids[1]) == directory
        assert server.cli("merchants", "create", "Load Shop").returncode == 0
        made = server.cli("keys", "create", "--role", "merchant", "--name", "shop", "--merchant", "Load Shop")
        merchant = made.stdout.strip().splitlines()[-1]
        scanner = server.cli("keys", "create", "--role", "scanner", "--name", "gun").stdout.strip().splitlines()[-1]
        hooked = httpx.post(
            f"{server.base_url}/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth(merchant)
        )
        assert hooked.status_code == 201, hooked.text
        placed = httpx.post(f"{server.base_url}/api/v1/orders", json=order_body(), headers=auth(merchant), timeout=30)
        assert placed.status_code == 201, placed.text
        number = placed.json()["parcels"][0]["tracking_number"]
        stream = SseClient(f"{server.base_url}/api/v1/tracking/{number}/events").start()
        wait_for(lambda: scrape(server).value("ordertrail_sse_streams_open") == 1, timeout=10, what="1 open stream")
        before = scrape(server)
        assert before.value(SCANS) == 0

        start = datetime.now(UTC) - timedelta(hours=2)
        sent = 0
        scanned: list[float] = []
        delivered: list[float] = []
        for round_ in range(4):  # the load, scraped between its rounds: the counters move while it runs
            if round_:
                placed = httpx.post(
                    f"{server.base_url}/api/v1/orders", json=order_body(), headers=auth(merchant), timeout=30
                )
                assert placed.status_code == 201, placed.text
                number = placed.json()["parcels"][0]["tracking_number"]
            for i, status in enumerate(STEPS):
                body = scan_body(number, status, at=start + timedelta(minutes=round_ * 10 + i))
                response = httpx.post(f"{server.base_url}/api/v1/scans", json=body, headers=auth(scanner), timeout=30)
                assert response.status_code == 201, response.text
                sent += 1
            batch = {"scans": [scan_body(number, "delivered", at=start + timedelta(minutes=round_ * 10 + 5))]}
            response = httpx.post(
                f"{server.base_url}/api/v1/scans/batch", json=batch, headers=auth(scanner), timeout=30
            )
            assert response.status_code == 200, response.text
            sent += 1
            now = scrape(server)
            scanned.append(now.value(SCANS, outcome="created"))
            delivered.append(now.value(DELIVERED, channel="webhook", result="delivered"))
        # Every scrape counted every scan answered before it, whichever process recorded it.
        assert scanned == [5, 10, 15, 20]
        assert sent == 20

        def delivered_all() -> Scrape | None:
            rows = [row for row in outbox_rows(server.database_url) if row["channel"] == "webhook"]
            done = [row for row in rows if row["state"] == "delivered"]
            if not done or len(done) < len(rows):
                return None
            now = scrape(server)
            return now if now.value(DELIVERED, channel="webhook", result="delivered") == len(done) else None

        after = wait_for(delivered_all, timeout=30, what="every webhook delivered, and counted once")
        assert after.value(DELIVERED, channel="webhook", result="delivered") == len(receiver.ids())
        # The deliveries went on through the load and after it (a webhook per order and per status change).
        assert before.value(DELIVERED, channel="webhook", result="delivered") <= delivered[0]
        assert delivered == sorted(delivered)
        assert after.value(DELIVERED, channel="webhook", result="delivered") >= 4 + sent > delivered[0]
        assert after.value("ordertrail_webhook_attempts_total", outcome="2xx") >= len(receiver.ids())
        # Requests and group commits are tallied per process and handed over once a second: the other process's
        # arrive within it.
        single = {"method": "POST", "route": "/api/v1/scans", "status": "2xx"}

        def tallied() -> tuple[float, float, float]:
            now = scrape(server)
            return (
                now.value("ordertrail_ingest_submission_scans_count"),
                now.value("ordertrail_group_commit_scans_sum"),
                now.value("ordertrail_http_requests_total", **single),
            )

        wait_for(lambda: tallied() == (sent, sent, 16), timeout=10, what="every submission, commit and request")
        assert after.series("ordertrail_outbox_pending") == [{}]  # one value, not one per process
        assert after.value("ordertrail_outbox_pending") == 0
        stream.stop()
        wait_for(lambda: scrape(server).value("ordertrail_sse_streams_open") == 0, timeout=10, what="no open stream")
        assert list(directory.glob("*.db"))  # the processes' values, in the run's directory
    finally:
        server.stop()
    assert not directory.exists()  # removed by the supervisor when the run ended
