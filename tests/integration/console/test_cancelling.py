"""Cancelling orders and parcels over the API, with keys and staff sessions, on a real store: a cancelled event
the tracking page and webhooks follow, all of an order or none of it, safe to retry, audited per parcel, only for
who may, and never across merchants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body, wait_for
from tests.support.notify import Receiver, receiver
from tests.support.staff import FAST_HASHING, csrf_of, staff_user

__all__ = ["receiver"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        webhook_allow_private=True,  # the receiver listens on 127.0.0.1, on its own port
        webhook_ports="*",
        **FAST_HASHING,
    )


class Shop:
    def __init__(self, client: TestClient, make_key: Callable[..., str]) -> None:
        self.client = client
        self.merchant = make_key("merchant", merchant="Shop A")
        self.other = make_key("merchant", merchant="Shop B")
        self.scanner = make_key("scanner")

    def order(self, number: str, parcels: int = 1, key: str | None = None) -> list[str]:
        placed = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
        body = order_body(order_number=number, placed_at=placed, parcels=[{"weight_grams": 500}] * parcels)
        response = self.client.post("/api/v1/orders", json=body, headers=auth(key or self.merchant))
        assert response.status_code == 201, response.text
        return [p["tracking_number"] for p in response.json()["parcels"]]

    def scan(self, number: str, status: str) -> None:
        body = scan_body(number, status, at=datetime.now(UTC) - timedelta(hours=1))
        assert self.client.post("/api/v1/scans", json=body, headers=auth(self.scanner)).status_code == 201

    def status(self, number: str) -> str:
        status: str = self.client.get(f"/api/v1/tracking/{number}").json()["status"]
        return status

    def cancel(self, path: str, key: str | None = None, reason: str = "customer asked", **headers: str) -> Any:
        given = {**(auth(key) if key else {}), **headers}
        return self.client.post(f"/api/v1/{path}/cancel", json={"reason": reason}, headers=given)


@pytest.fixture
def shop(client: TestClient, make_key: Callable[..., str]) -> Shop:
    return Shop(client, make_key)


def test_a_parcel_is_cancelled_once_followed_by_tracking_and_webhooks_and_audited(
    shop: Shop, client: TestClient, make_key: Callable[..., str], receiver: Receiver
) -> None:
    endpoint = {"url": receiver.url, "event_types": ["parcel.cancelled"]}
    assert client.post("/api/v1/webhook-endpoints", json=endpoint, headers=auth(shop.merchant)).status_code == 201
    (number,) = shop.order("C-1")
    shop.scan(number, "processing")

    first = shop.cancel(f"parcels/{number}", shop.merchant)
    assert first.status_code == 200, first.text
    assert first.json()["parcels"] == [
        {"tracking_number": number, "order_number": "C-1", "status": "cancelled", "changed": True}
    ]
    assert shop.status(number) == "cancelled"
    again = shop.cancel(f"parcels/{number}", shop.merchant)  # a retry: the same answer, nothing new
    assert again.status_code == 200 and again.json()["parcels"][0]["changed"] is False

    (hook,) = wait_for(receiver.snapshot, what="the cancelled webhook")
    assert b'"parcel.cancelled"' in hook.body
    order = client.get("/api/v1/orders/C-1", headers=auth(shop.merchant)).json()
    events = order["parcels"][0]["events"]
    assert [e["status"] for e in events].count("cancelled") == 1
    assert next(e for e in events if e["status"] == "cancelled")["note"] == "customer asked"  # private view only
    assert "customer asked" not in client.get(f"/api/v1/tracking/{number}").text

    log = client.get("/api/v1/audit-log", headers=auth(make_key("admin"))).json()["entries"]
    cancelled = [e for e in log if e["action"] == "parcel.cancelled"]
    assert len(cancelled) == 1 and cancelled[0]["tracking_number"] == number
    assert cancelled[0]["detail"] == {"reason": "customer asked", "previous_status": "processing"}


def test_an_order_is_cancelled_whole_or_not_at_all(shop: Shop) -> None:
    first, second = shop.order("C-2", parcels=2)
    shop.scan(second, "dispatched")
    refused = shop.cancel("orders/C-2", shop.merchant)
    assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"] == "urn:ordertrail:error:not-cancellable"
    assert second in problem["detail"] and "dispatched" in problem["detail"] and first not in problem["detail"]
    assert [shop.status(first), shop.status(second)] == ["order_placed", "dispatched"]

    both = shop.order("C-3", parcels=2)
    done = shop.cancel("orders/C-3", shop.merchant)
    assert done.status_code == 200, done.text
    assert [p["changed"] for p in done.json()["parcels"]] == [True, True]
    assert [shop.status(n) for n in both] == ["cancelled", "cancelled"]


def test_only_who_may_cancel_and_only_their_own_merchants_parcels(
    shop: Shop, client: TestClient, run_services: Callable[..., Any], settings: Settings
) -> None:
    (number,) = shop.order("C-4")
    (theirs,) = shop.order("B-1", key=shop.other)
    assert shop.cancel(f"parcels/{number}", shop.other).status_code == 404  # as if it did not exist
    assert shop.cancel("orders/C-4", shop.other).status_code == 404
    assert shop.cancel(f"parcels/{number}", shop.scanner).status_code == 403
    assert shop.cancel(f"parcels/{number}").status_code == 401
    blank = shop.cancel(f"parcels/{number}", shop.merchant, reason="  ")
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "reason"
    assert shop.status(number) == "order_placed"

    staff_user(client, run_services, settings, "help@example.com", "support", "Shop A")
    token = csrf_of(client.get("/console").text)
    assert shop.cancel(f"parcels/{number}", **{"X-CSRF-Token": token}).status_code == 403  # support: no cancel
    client.cookies.clear()
    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    assert shop.cancel(f"parcels/{number}").status_code == 403  # a session without its CSRF token
    token = csrf_of(client.get("/console").text)
    assert shop.cancel(f"parcels/{theirs}", **{"X-CSRF-Token": token}).status_code == 404  # not their merchant
    done = shop.cancel(f"parcels/{number}", **{"X-CSRF-Token": token})
    assert done.status_code == 200, done.text
    assert [shop.status(number), shop.status(theirs)] == ["cancelled", "order_placed"]
