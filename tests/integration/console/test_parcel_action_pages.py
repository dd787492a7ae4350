"""The parcel page's actions as a person uses them: a message to the customer and cancelling, each a form with the
session's CSRF token that redirects back to the page; the forms are offered only to roles that may use them and,
for cancelling, only while the parcel can be cancelled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body
from tests.support.staff import FAST_HASHING, csrf_of, staff_user


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", **FAST_HASHING)


def _parcel(client: TestClient, key: str, number: str) -> str:
    placed = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    response = client.post("/api/v1/orders", json=order_body(order_number=number, placed_at=placed), headers=auth(key))
    assert response.status_code == 201, response.text
    tracking_number: str = response.json()["parcels"][0]["tracking_number"]
    return tracking_number


def _as(client: TestClient, run_services: Callable[..., Any], settings: Settings, *user: str) -> str:
    """Sign ``client`` in as a new user; the session's CSRF token."""
    client.cookies.clear()
    staff_user(client, run_services, settings, *user)
    return csrf_of(client.get("/console").text)


def test_operations_messages_the_customer_and_cancels_from_the_parcel_page(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    number = _parcel(client, make_key("merchant", merchant="Shop A"), "P-1")
    path = f"/console/parcels/{number}"
    token = _as(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    page = client.get(path).text
    assert 'action="/console/parcels/' + number + '/message"' in page and 'id="cancel-reason"' in page

    blank = client.post(f"{path}/message", data={"csrf_token": token, "message": " "}, follow_redirects=False)
    assert blank.status_code == 422 and 'id="message-error"' in blank.text and 'id="note-error"' not in blank.text
    assert client.post(f"{path}/message", data={"message": "Hi"}, follow_redirects=False).status_code == 403
    sent = client.post(
        f"{path}/message", data={"csrf_token": token, "message": "Your parcel leaves tomorrow."}, follow_redirects=False
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"{path}?done=message#timeline"
    assert "Message sent to the customer." in client.get(sent.headers["location"]).text
    assert [m["text"] for m in client.get(f"/api/v1/tracking/{number}").json()["messages"]] == [
        "Your parcel leaves tomorrow."
    ]

    cancelled = client.post(
        f"{path}/cancel", data={"csrf_token": token, "reason": "Out of stock"}, follow_redirects=False
    )
    assert cancelled.status_code == 303 and cancelled.headers["location"] == f"{path}?done=cancelled#timeline"
    after = client.get(cancelled.headers["location"]).text
    assert "Parcel cancelled." in after and 'id="cancel-reason"' not in after  # nothing left to cancel
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "cancelled"


def test_the_cancel_form_is_only_for_who_may_and_only_while_it_can_be_used(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    merchant, scanner = make_key("merchant", merchant="Shop A"), make_key("scanner")
    waiting, gone = _parcel(client, merchant, "P-2"), _parcel(client, merchant, "P-3")
    assert client.post("/api/v1/scans", json=scan_body(gone, "dispatched"), headers=auth(scanner)).status_code == 201

    token = _as(client, run_services, settings, "help@example.com", "support", "Shop A")
    page = client.get(f"/console/parcels/{waiting}").text
    assert 'id="customer-message"' in page and 'id="cancel-reason"' not in page
    refused = client.post(f"/console/parcels/{waiting}/cancel", data={"csrf_token": token, "reason": "No"})
    assert refused.status_code == 403

    token = _as(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    assert 'id="cancel-reason"' not in client.get(f"/console/parcels/{gone}").text  # dispatched: past cancelling
    late = client.post(f"/console/parcels/{gone}/cancel", data={"csrf_token": token, "reason": "Too late?"})
    assert late.status_code == 409 and 'id="cancel-error"' in late.text and "dispatched" in late.text
    assert client.get(f"/api/v1/tracking/{gone}").json()["status"] == "dispatched"


def test_the_whole_order_is_cancelled_from_a_parcel_page_all_or_none(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    merchant, scanner = make_key("merchant", merchant="Shop A"), make_key("scanner")
    placed = (datetime.now(UTC) - timedelta(hours=3)).isoformat()

    def order(number: str, parcels: int) -> list[str]:
        body = order_body(order_number=number, placed_at=placed, parcels=[{"weight_grams": 500}] * parcels)
        response = client.post("/api/v1/orders", json=body, headers=auth(merchant))
        assert response.status_code == 201, response.text
        return [p["tracking_number"] for p in response.json()["parcels"]]

    first, second, third = order("W-1", 3)
    (alone,) = order("W-2", 1)
    held, gone = order("W-3", 2)
    assert client.post("/api/v1/scans", json=scan_body(gone, "dispatched"), headers=auth(scanner)).status_code == 201

    token = _as(client, run_services, settings, "help@example.com", "support", "Shop A")
    assert 'id="cancel-order-reason"' not in client.get(f"/console/parcels/{first}").text
    refused = client.post(f"/console/parcels/{first}/cancel-order", data={"csrf_token": token, "reason": "No"})
    assert refused.status_code == 403

    token = _as(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    page = client.get(f"/console/parcels/{second}").text
    assert 'id="cancel-order-reason"' in page and "the order's 2 other parcels" in page
    assert 'id="cancel-order-reason"' not in client.get(f"/console/parcels/{alone}").text  # its own form does it
    path = f"/console/parcels/{second}/cancel-order"
    assert client.post(path, data={"reason": "Customer asked"}, follow_redirects=False).status_code == 403
    done = client.post(path, data={"csrf_token": token, "reason": "Customer asked"}, follow_redirects=False)
    assert (
        done.status_code == 303
        and done.headers["location"] == f"/console/parcels/{second}?done=order_cancelled#timeline"
    )
    assert "Order cancelled: every parcel of it." in client.get(done.headers["location"]).text
    statuses = {n: client.get(f"/api/v1/tracking/{n}").json()["status"] for n in (first, second, third, alone)}
    assert statuses == {first: "cancelled", second: "cancelled", third: "cancelled", alone: "order_placed"}

    # One parcel of the order is dispatched: nothing of the order is cancelled, and the page says why.
    late = client.post(f"/console/parcels/{held}/cancel-order", data={"csrf_token": token, "reason": "Too late?"})
    assert late.status_code == 409 and 'id="cancel-order-error"' in late.text and "dispatched" in late.text
    assert [client.get(f"/api/v1/tracking/{n}").json()["status"] for n in (held, gone)] == [
        "order_placed",
        "dispatched",
    ]
