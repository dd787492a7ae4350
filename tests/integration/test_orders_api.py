"""Orders: placing, reading and listing, scoped to the caller's merchant; validation answers name the field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import auth, order_body, scan_body


def test_the_same_order_number_twice_is_a_conflict_naming_the_existing_order(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    merchant = make_key("merchant", merchant="Shop A")
    body = order_body(order_number="A-1")
    assert client.post("/api/v1/orders", json=body, headers=auth(merchant)).status_code == 201
    again = client.post("/api/v1/orders", json=body, headers=auth(merchant))
    assert again.status_code == 409
    problem = again.json()
    assert again.headers["content-type"] == "application/problem+json"
    assert "A-1" in problem["detail"] and problem["errors"][0]["field"] == "order_number"
    other_merchant = make_key("merchant", merchant="Shop B")
    assert client.post("/api/v1/orders", json=body, headers=auth(other_merchant)).status_code == 201


def test_merchants_see_only_their_own_orders(client: TestClient, make_key: Callable[..., str]) -> None:
    shop_a, shop_b = make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B")
    admin, scanner = make_key("admin"), make_key("scanner")
    assert (
        client.post("/api/v1/orders", json=order_body(order_number="SECRET-1"), headers=auth(shop_a)).status_code == 201
    )
    assert client.get("/api/v1/orders/SECRET-1", headers=auth(shop_b)).status_code == 404
    assert client.get("/api/v1/orders/SECRET-1", headers=auth(admin)).status_code == 200
    assert client.get("/api/v1/orders/SECRET-1", headers=auth(scanner)).status_code == 403
    assert client.get("/api/v1/orders/SECRET-1").status_code == 401
    assert client.get("/api/v1/orders", headers=auth(shop_b)).json()["orders"] == []
    listed = client.get("/api/v1/orders", headers=auth(shop_a)).json()["orders"]
    assert [o["order_number"] for o in listed] == ["SECRET-1"]


def test_listing_filters_and_pages_with_a_cursor(
    client: TestClient, make_key: Callable[..., str], make_order: Callable[..., dict[str, Any]]
) -> None:
    merchant = make_key("merchant", merchant="Test Shop")
    scanner = make_key("scanner")
    start = datetime.now(UTC) - timedelta(days=3)
    numbers = []
    for index in range(7):
        placed = make_order(order_number=f"L-{index}", placed_at=(start + timedelta(hours=index)).isoformat())
        numbers.append(placed["parcels"][0]["tracking_number"])
    scan = scan_body(numbers[2], "packed", at=start + timedelta(hours=10))
    assert client.post("/api/v1/scans", json=scan, headers=auth(scanner)).status_code == 201

    seen: list[str] = []
    cursor = None
    while True:
        query = "/api/v1/orders?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(query, headers=auth(merchant)).json()
        seen += [o["order_number"] for o in page["orders"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"L-{i}" for i in reversed(range(7))]  # newest first, each once
    packed = client.get("/api/v1/orders?status=packed", headers=auth(merchant)).json()["orders"]
    assert [o["order_number"] for o in packed] == ["L-2"]
    by_number = client.get(f"/api/v1/orders?q={numbers[4].lower()}", headers=auth(merchant)).json()["orders"]
    assert [o["order_number"] for o in by_number] == ["L-4"]
    after = (start + timedelta(hours=4, minutes=30)).isoformat().replace("+00:00", "Z")
    recent = client.get(f"/api/v1/orders?placed_after={after}", headers=auth(merchant)).json()["orders"]
    assert [o["order_number"] for o in recent] == ["L-6", "L-5"]
    bad_cursor = client.get("/api/v1/orders?cursor=nonsense", headers=auth(merchant))
    assert bad_cursor.status_code == 422 and bad_cursor.json()["errors"][0]["field"] == "cursor"


def test_invalid_orders_and_scans_name_the_field_and_change_nothing(
    client: TestClient, make_key: Callable[..., str], make_order: Callable[..., dict[str, Any]]
) -> None:
    merchant = make_key("merchant", merchant="Test Shop")
    scanner = make_key("scanner")
    bad = order_body(order_number="BAD-1", parcels=[{"weight_grams": -5}], customer={"name": "X", "email": "nope"})
    response = client.post("/api/v1/orders", json=bad, headers=auth(merchant))
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"parcels.0.weight_grams", "customer.email"} <= fields
    assert client.get("/api/v1/orders/BAD-1", headers=auth(merchant)).status_code == 404

    number = make_order()["parcels"][0]["tracking_number"]
    future = scan_body(number, "packed", at=datetime.now(UTC) + timedelta(minutes=11))
    refused = client.post("/api/v1/scans", json=future, headers=auth(scanner))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "occurred_at"
    typo = scan_body(number[:-1] + ("2" if number[-1] != "2" else "3"), "packed")
    refused = client.post("/api/v1/scans", json=typo, headers=auth(scanner))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "tracking_number"
    no_reason = scan_body(number, "exception", reason=None)
    refused = client.post("/api/v1/scans", json=no_reason, headers=auth(scanner))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reason"
    not_json = client.post(
        "/api/v1/scans", content=b"{nope", headers={**auth(scanner), "content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert len(client.get(f"/api/v1/tracking/{number}").json()["events"]) == 1


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert client.get("/openapi.json").json()["paths"]["/api/v1/scans"]["post"]["requestBody"]
