"""Stalled parcels: the periodic job flags them, merchants list them and get a webhook, the next scan clears it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from ordertrail.app import create_app
from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body, wait_for
from tests.support.clock import FakeClock
from tests.support.notify import Receiver, receiver, settled
from tests.support.openapi import assert_webhook_documented

__all__ = ["receiver"]

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        webhook_allow_private=True,
        webhook_ports="*",  # and on its own port
        worker_poll_seconds=0.05,
        eta_stalled_default_hours=48,
        eta_sweep_seconds=0.05,  # the job runs all the time; the clock decides what is stalled
    )


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as test_client:
        yield test_client


def stalled(client: TestClient, key: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/parcels", params={"stalled": "true"}, headers=auth(key))
    assert response.status_code == 200, response.text
    parcels: list[dict[str, Any]] = response.json()["parcels"]
    return parcels


def test_parcel_without_a_scan_is_flagged_listed_and_announced_then_a_scan_clears_it(
    client: TestClient, settings: Settings, clock: FakeClock, make_key: Callable[..., str], receiver: Receiver
) -> None:
    merchant = make_key("merchant", merchant="Test Shop")
    other = make_key("merchant", merchant="Other Shop")
    admin = make_key("admin")
    scanner = make_key("scanner")
    endpoint = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": receiver.url, "event_types": ["parcel.stalled"]},
        headers=auth(merchant),
    ).json()
    order = client.post("/api/v1/orders", json=order_body(), headers=auth(merchant)).json()
    number = order["parcels"][0]["tracking_number"]
    clock.set(MONDAY + timedelta(hours=9))
    answer = client.post("/api/v1/scans", json=scan_body(number, "dispatched", at=clock.now), headers=auth(scanner))
    assert answer.status_code == 201

    # 47 hours later: within the threshold (no lane history: the configured 48 hours).
    clock.set(MONDAY + timedelta(hours=9 + 47))
    quiet_until = clock.now
    wait_for(lambda: _swept_since(client, quiet_until, admin), what="a sweep after the clock moved")
    assert stalled(client, merchant) == []

    # Thursday morning, 62 hours without a scan: stalled (and Wednesday, the window's first day, has passed).
    clock.set(MONDAY + timedelta(hours=9 + 62))
    listed = wait_for(lambda: stalled(client, merchant), what="stalled list")
    assert [p["tracking_number"] for p in listed] == [number]
    assert listed[0]["step"] == "dispatched" and listed[0]["stalled_at"] is not None
    assert [p["tracking_number"] for p in stalled(client, admin)] == [number]
    assert stalled(client, other) == []
    assert client.get("/api/v1/parcels", params={"stalled": "true"}, headers=auth(scanner)).status_code == 403
    assert client.get("/api/v1/parcels", params={"stalled": "maybe"}, headers=auth(admin)).status_code == 422

    wait_for(lambda: settled(settings.resolved_database_url), what="outbox settled")
    received = wait_for(receiver.snapshot, what="stalled webhook")
    hooks = [Webhook(endpoint["secret"]).verify(r.body, r.headers) for r in received]
    document = client.get("/openapi.json").json()
    assert [assert_webhook_documented(document, r.body, r.headers) for r in received] == hooks
    assert [(h["type"], h["data"]["tracking_number"], h["data"]["step"]) for h in hooks] == [
        ("parcel.stalled", number, "dispatched")
    ]
    history = client.get(f"/api/v1/parcels/{number}/estimates", headers=auth(merchant)).json()["estimates"]
    assert history[-1]["reason"] == "stalled"  # re-estimated when flagged: the old window had passed

    # The next scan clears the flag; the job does not flag it again while it is within its new threshold.
    answer = client.post("/api/v1/scans", json=scan_body(number, "in_transit", at=clock.now), headers=auth(scanner))
    assert answer.status_code == 201
    assert stalled(client, merchant) == []
    again = clock.now
    wait_for(lambda: _swept_since(client, again, admin), what="another sweep")
    assert stalled(client, admin) == []
    assert len(receiver.snapshot()) == 1


def _swept_since(client: TestClient, moment: datetime, admin: str) -> bool:
    """The job ran at least once with the clock at ``moment`` or later (the list says when it last looked)."""
    checked = client.get("/api/v1/parcels", params={"stalled": "true"}, headers=auth(admin)).json()["checked_at"]
    return checked is not None and datetime.fromisoformat(checked) >= moment


def test_the_job_walks_every_parcel_on_its_way_in_chunks_and_skips_the_rest(
    client: TestClient, clock: FakeClock, make_key: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of two watched parcels, with delivered (unwatched) parcels and a recently scanned one in between.
    monkeypatch.setattr("ordertrail.services.estimating.sweep.SWEEP_CHUNK", 2)
    merchant, admin, scanner = make_key("merchant", merchant="Test Shop"), make_key("admin"), make_key("scanner")
    numbers = []
    for _ in range(7):
        order = client.post("/api/v1/orders", json=order_body(), headers=auth(merchant)).json()
        numbers.append(order["parcels"][0]["tracking_number"])
    clock.set(MONDAY + timedelta(hours=9))
    for number in numbers:
        answer = client.post("/api/v1/scans", json=scan_body(number, "dispatched", at=clock.now), headers=auth(scanner))
        assert answer.status_code == 201
    clock.set(MONDAY + timedelta(hours=20))
    for number in (numbers[1], numbers[4]):
        answer = client.post("/api/v1/scans", json=scan_body(number, "delivered", at=clock.now), headers=auth(scanner))
        assert answer.status_code == 201
    clock.set(MONDAY + timedelta(hours=9 + 60))
    answer = client.post("/api/v1/scans", json=scan_body(numbers[5], "in_transit", at=clock.now), headers=auth(scanner))
    assert answer.status_code == 201

    clock.set(MONDAY + timedelta(hours=9 + 62))
    expected = sorted(numbers[i] for i in (0, 2, 3, 6))
    listed = wait_for(
        lambda: (found := sorted(p["tracking_number"] for p in stalled(client, admin))) == expected and found,
        what="the four quiet parcels in the stalled list",
    )
    assert listed == expected
