"""Estimates after scans, revisions with reasons, the delay overlay and its notices (real SMTP, real receiver)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from ordertrail.app import create_app
from ordertrail.services.accounts import merchants as merchant_service
from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body, wait_for
from tests.support.clock import FakeClock
from tests.support.notify import Receiver, SmtpServer, receiver, settled, smtp_server
from tests.support.openapi import assert_webhook_documented

__all__ = ["receiver", "smtp_server"]

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # London is on UTC in early March
OVERLAY_EVENTS = ["parcel.delayed", "parcel.delay_cleared", "parcel.stalled"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="https://track.example.com",
        smtp_url=smtp_server.url,
        webhook_allow_private=True,
        webhook_ports="*",  # and on its own port
        webhook_retry_delays="50ms,50ms",
        worker_poll_seconds=0.05,
        eta_sweep_seconds=3600,  # the stalled job stays out of these stories (see test_eta_stalled.py)
    )


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def shop(client: TestClient, settings: Settings, make_key: Callable[..., str], receiver: Receiver) -> dict[str, Any]:
    merchant = make_key("merchant", merchant="Test Shop")
    endpoint = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": receiver.url, "event_types": OVERLAY_EVENTS},
        headers=auth(merchant),
    )
    assert endpoint.status_code == 201, endpoint.text
    return {
        "merchant": merchant,
        "scanner": make_key("scanner"),
        "secret": endpoint.json()["secret"],
        "database_url": settings.resolved_database_url,
    }


def place(client: TestClient, shop: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/orders", json=order_body(**overrides), headers=auth(shop["merchant"]))
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    return document


def scan(client: TestClient, shop: dict[str, Any], clock: FakeClock, number: str, status: str, at: datetime) -> None:
    move(shop, clock, at)
    response = client.post("/api/v1/scans", json=scan_body(number, status, at=at), headers=auth(shop["scanner"]))
    assert response.status_code == 201, response.text


def move(shop: dict[str, Any], clock: FakeClock, at: datetime) -> None:
    """Move the clock once nothing is being delivered: a jump past a delivery's lease would send it again."""
    wait_for(lambda: settled(shop["database_url"]) is not None, what="outbox settled")
    clock.set(at)


def estimate(client: TestClient, number: str) -> dict[str, Any] | None:
    document: dict[str, Any] = client.get(f"/api/v1/tracking/{number}").json()
    return document["estimated_delivery"]


def history(client: TestClient, shop: dict[str, Any], number: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/parcels/{number}/estimates", headers=auth(shop["merchant"]))
    assert response.status_code == 200, response.text
    revisions: list[dict[str, Any]] = response.json()["estimates"]
    return revisions


def overlay_hooks(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    """Every overlay webhook received, verified with the endpoint's secret."""
    return [Webhook(secret).verify(r.body, r.headers) for r in receiver.snapshot()]


def subjects(smtp: SmtpServer, word: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp.messages if word in str(m["Subject"])]


def test_late_hub_scan_gives_a_later_estimate_then_the_parcel_is_delayed_once(
    client: TestClient, settings: Settings, shop: dict[str, Any], clock: FakeClock,
    receiver: Receiver, smtp_server: SmtpServer,
) -> None:  # fmt: skip
    order = place(client, shop, promised_delivery_date="2026-03-06")  # Friday
    number = order["parcels"][0]["tracking_number"]
    # No history on this lane yet: the configured defaults (standard service) decide.
    assert estimate(client, number) is not None
    assert estimate(client, number)["earliest"] == "2026-03-05"  # type: ignore[index]
    assert estimate(client, number)["latest"] == "2026-03-06"  # type: ignore[index]
    scan(client, shop, clock, number, "processing", MONDAY + timedelta(hours=1))
    scan(client, shop, clock, number, "packed", MONDAY + timedelta(hours=2))
    scan(client, shop, clock, number, "dispatched", MONDAY + timedelta(hours=9))
    on_schedule = estimate(client, number)
    assert on_schedule is not None and (on_schedule["earliest"], on_schedule["latest"]) == ("2026-03-04", "2026-03-05")
    assert client.get(f"/api/v1/tracking/{number}").json()["delay"] is None

    # The hub scan was expected on Tuesday; it comes on Friday.
    scan(client, shop, clock, number, "in_transit", datetime(2026, 3, 6, 10, 0, tzinfo=UTC))
    later = estimate(client, number)
    assert later is not None and (later["earliest"], later["latest"]) == ("2026-03-09", "2026-03-10")
    revisions = history(client, shop, number)
    assert [r["reason"] for r in revisions] == ["scan", "scan", "scan", "missed_step"]
    assert revisions[-1]["delayed"] is True and revisions[-1]["earliest"] == "2026-03-09"
    public = client.get(f"/api/v1/tracking/{number}").json()
    assert public["delay"]["reason"] == "missed_step"
    assert "running late" in public["delay"]["message"]
    page = client.get(f"/t/{number}").text
    assert "Mon 9 – Tue 10 Mar" in page and "running late" in page

    # More scans while still late: no more notices.
    scan(client, shop, clock, number, "in_transit", datetime(2026, 3, 6, 20, 0, tzinfo=UTC))
    wait_for(lambda: settled(settings.resolved_database_url), what="outbox settled")
    hooks = wait_for(lambda: overlay_hooks(receiver, shop["secret"]), what="delay webhook")
    assert [h["type"] for h in hooks] == ["parcel.delayed"]
    assert hooks[0]["data"]["tracking_number"] == number
    assert hooks[0]["data"]["reason"] == "missed_step"
    assert hooks[0]["data"]["promised_delivery_date"] == "2026-03-06"
    late_emails = subjects(smtp_server, "running late")
    assert late_emails == [f"Your order {order['order_number']} from Test Shop is running late"]
    body = next(m for m in smtp_server.messages if "running late" in str(m["Subject"]))
    assert "Mon 9 – Tue 10 Mar" in body.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def test_one_email_per_order_when_two_parcels_slip_and_recovery_is_announced(
    client: TestClient, settings: Settings, shop: dict[str, Any], clock: FakeClock,
    receiver: Receiver, smtp_server: SmtpServer,
) -> None:  # fmt: skip
    order = place(client, shop, parcels=[{}, {}], promised_delivery_date="2026-03-05")  # Thursday
    first, second = (p["tracking_number"] for p in order["parcels"])
    for status, hours in (("dispatched", 9), ("in_transit", 23)):
        for number in (first, second):
            scan(client, shop, clock, number, status, MONDAY + timedelta(hours=hours))
    # Both parcels hit a problem in one batch: the window moves past Thursday.
    move(shop, clock, MONDAY + timedelta(days=1, hours=3))
    batch = [scan_body(n, "exception", at=clock.now, reason="vehicle_breakdown") for n in (first, second)]
    response = client.post("/api/v1/scans/batch", json={"scans": batch}, headers=auth(shop["scanner"]))
    assert response.status_code in (200, 201, 207), response.text
    for number in (first, second):
        assert history(client, shop, number)[-1]["reason"] == "exception"
        assert client.get(f"/api/v1/tracking/{number}").json()["delay"]["reason"] == "exception"

    # Back on its way: the first parcel recovers (merchant told), then the second (customer told once).
    scan(client, shop, clock, first, "in_transit", MONDAY + timedelta(days=1, hours=5))
    assert client.get(f"/api/v1/tracking/{first}").json()["delay"] is None
    scan(client, shop, clock, second, "in_transit", MONDAY + timedelta(days=1, hours=6))
    assert client.get(f"/api/v1/tracking/{second}").json()["delay"] is None

    wait_for(lambda: settled(settings.resolved_database_url), what="outbox settled")
    hooks = wait_for(lambda: (h := overlay_hooks(receiver, shop["secret"])) and len(h) >= 4 and h, what="webhooks")
    assert sorted((h["type"], h["data"]["tracking_number"]) for h in hooks) == sorted(
        [("parcel.delayed", first), ("parcel.delayed", second),
         ("parcel.delay_cleared", first), ("parcel.delay_cleared", second)]
    )  # fmt: skip
    document = client.get("/openapi.json").json()
    for received in receiver.snapshot():  # the overlay bodies are the document's webhooks
        assert_webhook_documented(document, received.body, received.headers)
    assert subjects(smtp_server, "running late") == [
        f"Your order {order['order_number']} from Test Shop is running late"
    ]
    assert subjects(smtp_server, "back on schedule") == [
        f"Your order {order['order_number']} from Test Shop is back on schedule"
    ]


def test_revisions_are_the_merchants_own_and_off_switch(
    client: TestClient, shop: dict[str, Any], make_key: Callable[..., str], tmp_path: Path
) -> None:
    number = place(client, shop)["parcels"][0]["tracking_number"]
    assert len(history(client, shop, number)) == 1
    other = make_key("merchant", merchant="Other Shop")
    assert client.get(f"/api/v1/parcels/{number}/estimates", headers=auth(other)).status_code == 404
    assert client.get(f"/api/v1/parcels/{number}/estimates", headers=auth(shop["scanner"])).status_code == 403
    admin = make_key("admin")
    assert len(client.get(f"/api/v1/parcels/{number}/estimates", headers=auth(admin)).json()["estimates"]) == 1

    off = Settings(data_dir=tmp_path / "off", estimates=False)
    with TestClient(create_app(off)) as plain:
        from tests.conftest import auth as bearer

        key = _key(off, "merchant", "Plain Shop")
        placed = plain.post("/api/v1/orders", json=order_body(), headers=bearer(key))
        assert placed.status_code == 201
        tracked = plain.get(f"/api/v1/tracking/{placed.json()['parcels'][0]['tracking_number']}").json()
        assert tracked["estimated_delivery"] is None and tracked["delay"] is None


def _key(settings: Settings, role: str, merchant: str) -> str:
    import asyncio

    from ordertrail.domain.accounts.keys import Role
    from ordertrail.services.accounts import keys as key_service
    from ordertrail.services.context import Services
    from ordertrail.storage.database import open_database
    from ordertrail.storage.migrate import upgrade

    async def main() -> str:
        upgrade(settings.resolved_database_url)
        db = open_database(settings.resolved_database_url)
        try:
            services = Services(db=db)
            await merchant_service.create_merchant(services, name=merchant)
            created = await key_service.create_key(services, role=Role(role), name="k", merchant=merchant)
            return created.plaintext
        finally:
            await db.close()

    return asyncio.run(main())
