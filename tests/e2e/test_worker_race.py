"""Two `ordertrail worker` processes racing over 1,000 due webhooks on PostgreSQL: each delivered exactly once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from tests.conftest import order_body, start_server, wait_for
from tests.support.notify import Receiver, outbox_rows, receiver
from tests.support.scale import start_worker

__all__ = ["receiver"]

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ORDERS, PARCELS = 100, 10  # 1,000 parcels: one parcel.order_placed webhook each


def test_two_workers_deliver_each_of_1000_webhooks_exactly_once(
    tmp_path: Path, postgres_url: str, receiver: Receiver
) -> None:
    server = start_server(
        tmp_path / "data",
        database_url=postgres_url,
        extra_env={
            "ORDERTRAIL_WORKER_IN_PROCESS": "false",
            "ORDERTRAIL_WEBHOOK_ALLOW_PRIVATE": "true",
            "ORDERTRAIL_WEBHOOK_PORTS": "*",
        },
    )
    workers = []
    try:
        assert server.cli("merchants", "create", "Race Shop").returncode == 0
        created = server.cli("keys", "create", "--role", "merchant", "--name", "shop", "--merchant", "Race Shop")
        headers = {"Authorization": f"Bearer {created.stdout.strip().splitlines()[-1]}"}
        with server.http() as http:
            endpoint = http.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=headers).json()
            for _ in range(ORDERS):
                placed = http.post("/api/v1/orders", json=order_body(parcels=[{}] * PARCELS), headers=headers)
                assert placed.status_code == 201, placed.text
        expected = {r["message_id"] for r in outbox_rows(postgres_url) if r["channel"] == "webhook"}
        assert len(expected) == ORDERS * PARCELS
        assert receiver.snapshot() == []  # all due, none sent: no worker yet

        env = {**server.env, "ORDERTRAIL_WORKER_CONCURRENCY": "16"}
        workers = [start_worker(env, tmp_path / f"worker-{i}.log") for i in range(2)]  # both race from the start
        claimants: set[str] = set()

        def all_delivered() -> bool:
            rows = [r for r in outbox_rows(postgres_url) if r["channel"] == "webhook"]
            claimants.update(r["claimed_by"] for r in rows if r["claimed_by"])
            return all(r["state"] == "delivered" for r in rows)

        wait_for(all_delivered, timeout=180, interval=0.05, what="1,000 webhooks delivered")
        for worker in workers:
            assert worker.poll() is None, "a worker died"

        deliveries = Counter(r.webhook_id for r in receiver.snapshot())
        assert set(deliveries) == expected
        assert max(deliveries.values()) == 1, [i for i, n in deliveries.items() if n > 1][:5]  # exactly once each
        assert len(claimants) == 2, claimants  # both workers took a share
        for received in receiver.snapshot()[:50]:
            Webhook(endpoint["secret"]).verify(received.body, received.headers)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        server.stop()
