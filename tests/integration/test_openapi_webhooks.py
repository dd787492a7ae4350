"""The document's ``webhooks`` are what the outbox really sends: one entry per event type there is, and delivered
webhooks (signed, to a real receiver) match their entry, headers and body; the signed bytes are the body the
schema describes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from ordertrail.domain.notifying.policy import EVENT_TYPES, TEST_EVENT
from ordertrail.settings import Settings
from tests.conftest import auth, scan_body, wait_for
from tests.support.notify import Receiver, receiver
from tests.support.openapi import assert_webhook_documented

__all__ = ["receiver"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        webhook_allow_private=True,  # the receiver listens on 127.0.0.1
        webhook_ports="*",  # and on its own port
    )


def test_every_event_type_is_documented_and_nothing_else(client: TestClient) -> None:
    webhooks = client.get("/openapi.json").json()["webhooks"]
    assert set(webhooks) == {*EVENT_TYPES, TEST_EVENT}
    assert len({w["post"]["operationId"] for w in webhooks.values()}) == len(webhooks)


def test_delivered_webhooks_match_the_documented_payloads(
    client: TestClient, make_key: Callable[..., str], make_order: Callable[..., dict[str, Any]], receiver: Receiver
) -> None:
    document = client.get("/openapi.json").json()
    merchant = make_key("merchant", merchant="Test Shop")  # make_order's merchant
    created = client.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth(merchant))
    assert created.status_code == 201, created.text
    endpoint = created.json()

    start = datetime.now(UTC) - timedelta(hours=5)
    number = make_order(placed_at=start.isoformat())["parcels"][0]["tracking_number"]
    scanner = make_key("scanner")
    scans = [
        scan_body(number, "packed", at=start + timedelta(hours=1)),
        scan_body(number, "dispatched", at=start + timedelta(hours=2)),
        scan_body(number, "exception", at=start + timedelta(hours=3), reason="damaged"),
    ]
    # A correction voiding the exception moves the parcel back: parcel.corrected, an event of status correction.
    scans.append(scan_body(number, "correction", at=start + timedelta(hours=4), voids_event_id=scans[-1]["event_id"]))
    for scan in scans:
        answer = client.post("/api/v1/scans", json=scan, headers=auth(scanner))
        assert answer.status_code == 201, answer.text
    tested = client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=auth(merchant))
    assert tested.status_code == 202, tested.text

    wanted = ["parcel.order_placed", "parcel.packed", "parcel.dispatched", "parcel.exception", "parcel.corrected"]
    got = wait_for(lambda: len(receiver.snapshot()) >= len(wanted) + 1 and receiver.snapshot(), what="webhooks")
    payloads = []
    for received in got:
        signed = Webhook(endpoint["secret"]).verify(received.body, received.headers)  # the bytes signed are the body
        payload = assert_webhook_documented(document, received.body, received.headers)
        assert signed == payload
        payloads.append(payload)
    status_changes = [p for p in payloads if p["type"] != TEST_EVENT]
    assert [p["type"] for p in status_changes] == wanted
    assert status_changes[-1]["data"]["event"]["status"] == "correction"
    assert [p["data"]["endpoint_id"] for p in payloads if p["type"] == TEST_EVENT] == [endpoint["id"]]
