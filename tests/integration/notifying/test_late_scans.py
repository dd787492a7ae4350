"""A late, out-of-order scan (and a duplicate, and a regressive one) notifies no one: no email, no webhook."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.settings import Settings
from tests.conftest import auth, scan_body, wait_for
from tests.support.notify import Receiver, SmtpServer, outbox_rows, receiver, settled, smtp_server

__all__ = ["receiver", "smtp_server"]


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        smtp_url=smtp_server.url,
        webhook_allow_private=True,
        webhook_ports="*",  # and on its own port
        webhook_retry_delays="50ms",
    )


def placed_hours_ago(hours: int) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


def register(client: TestClient, key: str, url: str) -> None:
    assert client.post("/api/v1/webhook-endpoints", json={"url": url}, headers=auth(key)).status_code == 201


def test_late_out_of_order_scan_notifies_no_one(
    client: TestClient,
    settings: Settings,
    make_order: Callable[..., dict[str, Any]],
    make_key: Callable[..., str],
    receiver: Receiver,
    smtp_server: SmtpServer,
) -> None:
    register(client, make_key("merchant", merchant="Test Shop"), receiver.url)
    number = make_order(placed_at=placed_hours_ago(10))["parcels"][0]["tracking_number"]
    scanner = make_key("scanner")
    now = datetime.now(UTC)
    dispatched = scan_body(number, "dispatched", at=now - timedelta(hours=4))
    for body in (dispatched, scan_body(number, "in_transit", at=now - timedelta(hours=2))):
        assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
    url = settings.resolved_database_url
    before = wait_for(lambda: (r := settled(url)) and len(r) == 5 and r, what="3 webhooks and 2 emails settled")
    assert len(receiver.snapshot()) == 3 and len(smtp_server.messages) == 2

    late = client.post(
        "/api/v1/scans", json=scan_body(number, "packed", at=now - timedelta(hours=5)), headers=auth(scanner)
    )
    assert late.status_code == 201 and late.json()["event"]["late"] is True
    assert client.post("/api/v1/scans", json=dispatched, headers=auth(scanner)).status_code == 200  # a duplicate
    regressive = scan_body(number, "dispatched", at=now - timedelta(hours=1))  # behind in_transit
    assert client.post("/api/v1/scans", json=regressive, headers=auth(scanner)).status_code == 201

    # The outbox is written in the scan's own transaction: once the scans are acknowledged, there is nothing new.
    assert outbox_rows(url) == before
    assert len(receiver.snapshot()) == 3 and len(smtp_server.messages) == 2

    # The same parcel still notifies when its status really moves on: the worker was live all along.
    out = scan_body(number, "out_for_delivery", at=now - timedelta(minutes=30))
    assert client.post("/api/v1/scans", json=out, headers=auth(scanner)).status_code == 201
    wait_for(lambda: len(receiver.snapshot()) == 4 and len(smtp_server.messages) == 3, what="next status notified")
    assert smtp_server.messages[-1]["Subject"] == "Your parcel from Test Shop is out for delivery today"
