"""At least once, for real: SIGKILL an `ordertrail worker` process three times during 1,000 deliveries."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from tests.conftest import BIN, ServerProcess, order_body, start_server, wait_for
from tests.support.notify import Receiver, outbox_rows, receiver

__all__ = ["receiver"]

ORDERS, PARCELS = 100, 10  # 1,000 parcels: one parcel.order_placed webhook each


def start_worker(server: ServerProcess, log: Path) -> subprocess.Popen[bytes]:
    env = {**server.env, "ORDERTRAIL_WORKER_LEASE_SECONDS": "2", "ORDERTRAIL_WORKER_CONCURRENCY": "8"}
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([str(BIN / "ordertrail"), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_sigkilled_worker_loses_nothing(tmp_path: Path, receiver: Receiver) -> None:
    server = start_server(
        tmp_path / "data",
        extra_env={
            "ORDERTRAIL_WORKER_IN_PROCESS": "false",
            "ORDERTRAIL_WEBHOOK_ALLOW_PRIVATE": "true",
            "ORDERTRAIL_WEBHOOK_PORTS": "*",
        },
    )
    workers: list[subprocess.Popen[bytes]] = []
    try:
        assert server.cli("merchants", "create", "Crash Shop").returncode == 0
        created = server.cli("keys", "create", "--role", "merchant", "--name", "shop", "--merchant", "Crash Shop")
        key = created.stdout.strip().splitlines()[-1]
        headers = {"Authorization": f"Bearer {key}"}
        with server.http() as http:
            endpoint = http.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=headers).json()
            for _ in range(ORDERS):
                body = order_body(parcels=[{}] * PARCELS)
                assert http.post("/api/v1/orders", json=body, headers=headers).status_code == 201
        url = server.database_url
        expected = {r["message_id"] for r in outbox_rows(url) if r["channel"] == "webhook"}
        assert len(expected) == ORDERS * PARCELS
        assert receiver.ids() == set()  # nothing is delivered without a worker

        log = tmp_path / "worker.log"
        for threshold in (150, 450, 750):
            worker = start_worker(server, log)
            workers.append(worker)
            wait_for(lambda t=threshold: len(receiver.ids()) >= t, timeout=60, what=f"{threshold} deliveries")
            assert worker.poll() is None, log.read_text()
            assert len(receiver.ids()) < len(expected), "the kill must land mid-run"
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)

        last = start_worker(server, log)
        workers.append(last)

        def all_delivered() -> bool:
            rows = [r for r in outbox_rows(url) if r["channel"] == "webhook"]
            return all(r["state"] == "delivered" for r in rows)

        wait_for(all_delivered, timeout=120, what="every message delivered")
        assert receiver.ids() == expected  # every message arrived at least once: none lost
        secret = endpoint["secret"]
        for received in receiver.snapshot():
            Webhook(secret).verify(received.body, received.headers)
        print(f"{len(receiver.snapshot()) - len(expected)} duplicate deliveries after 3 SIGKILLs")
        last.send_signal(signal.SIGTERM)  # graceful shutdown
        assert last.wait(timeout=30) == 0, log.read_text()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        server.stop()
