"""Attaching an unmatched scan (a mistyped number) to its parcel, on a real store: the scan joins the parcel's
timeline under the rules of any late scan, the kept row leaves the list, the device's resend is a duplicate, the
action is audited; only operations staff and admins may, and only onto parcels they see."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.domain.tracking.tracking_number import generate
from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body
from tests.support.staff import FAST_HASHING, csrf_of, staff_user


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", **FAST_HASHING)


def _order(client: TestClient, key: str, number: str) -> str:
    placed = (datetime.now(UTC) - timedelta(hours=5)).isoformat()
    response = client.post("/api/v1/orders", json=order_body(order_number=number, placed_at=placed), headers=auth(key))
    assert response.status_code == 201, response.text
    tracking_number: str = response.json()["parcels"][0]["tracking_number"]
    return tracking_number


def _unmatched(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/unmatched-scans", headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["unmatched_scans"]
    return found


def test_an_unmatched_scan_attached_joins_the_parcels_timeline_once(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    merchant, scanner, admin = make_key("merchant", merchant="Shop A"), make_key("scanner"), make_key("admin")
    number = _order(client, merchant, "R-1")
    mistyped = scan_body(generate(), "packed", at=datetime.now(UTC) - timedelta(hours=2), event_id=str(uuid.uuid4()))
    assert client.post("/api/v1/scans", json=mistyped, headers=auth(scanner)).status_code == 404
    (kept,) = _unmatched(client, auth(admin))

    path = f"/api/v1/unmatched-scans/{kept['id']}/attach"
    attached = client.post(path, json={"tracking_number": number.lower()}, headers=auth(admin))
    assert attached.status_code == 200, attached.text
    assert attached.json()["outcome"] == "created" and attached.json()["event_id"] == mistyped["event_id"]
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "packed"
    assert _unmatched(client, auth(admin)) == []
    again = client.post(path, json={"tracking_number": number}, headers=auth(admin))
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "unmatched_id"
    # The device resending its scan: the number it read still belongs to no parcel (404, as before), and the scan
    # is neither kept a second time nor recorded twice.
    assert client.post("/api/v1/scans", json=mistyped, headers=auth(scanner)).status_code == 404
    assert _unmatched(client, auth(admin)) == []
    events = client.get("/api/v1/orders/R-1", headers=auth(merchant)).json()["parcels"][0]["events"]
    assert [e["status"] for e in events] == ["order_placed", "packed"]

    log = client.get("/api/v1/audit-log", headers=auth(admin)).json()["entries"]
    (entry,) = [e for e in log if e["action"] == "unmatched_scan.attached"]
    assert entry["tracking_number"] == number
    assert entry["detail"] == {"unmatched_id": kept["id"], "scanned_as": mistyped["tracking_number"],
                               "event_id": mistyped["event_id"]}  # fmt: skip


def test_a_scan_that_breaks_the_parcels_rules_is_not_attached(client: TestClient, make_key: Callable[..., str]) -> None:
    merchant, scanner, admin = make_key("merchant", merchant="Shop A"), make_key("scanner"), make_key("admin")
    number = _order(client, merchant, "R-2")
    too_early = scan_body(generate(), "packed", at=datetime.now(UTC) - timedelta(days=3))  # days before the order
    assert client.post("/api/v1/scans", json=too_early, headers=auth(scanner)).status_code == 404
    (kept,) = _unmatched(client, auth(admin))
    refused = client.post(
        f"/api/v1/unmatched-scans/{kept['id']}/attach", json={"tracking_number": number}, headers=auth(admin)
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "occurred_at"
    assert len(_unmatched(client, auth(admin))) == 1  # still kept, still listed
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "order_placed"


def test_only_operations_and_admins_attach_and_only_onto_parcels_they_see(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    shop_a, shop_b, scanner = make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B"), \
        make_key("scanner")  # fmt: skip
    ours, theirs = _order(client, shop_a, "R-3"), _order(client, shop_b, "R-4")
    assert client.post("/api/v1/scans", json=scan_body(generate(), "packed"), headers=auth(scanner)).status_code == 404
    assert client.get("/api/v1/unmatched-scans", headers=auth(shop_a)).status_code == 403
    assert client.get("/api/v1/unmatched-scans", headers=auth(scanner)).status_code == 403

    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    (kept,) = _unmatched(client, {})
    token = {"X-CSRF-Token": csrf_of(client.get("/console").text)}
    path = f"/api/v1/unmatched-scans/{kept['id']}/attach"
    assert client.post(path, json={"tracking_number": theirs}, headers=token).status_code == 404
    assert client.post(path, json={"tracking_number": ours}).status_code == 403  # no CSRF token
    assert client.post(path, json={"tracking_number": ours}, headers=token).status_code == 200
    assert client.post(path, json={"tracking_number": ours}, headers=auth(shop_a)).status_code == 403
