"""Voiding a wrong scan and recording a missing one by hand (the parcel page's forms, POST
/api/v1/parcels/{n}/scans/{event_id}/void and POST /api/v1/parcels/{n}/scans) on a real store: the parcel's
status and public tracking follow as for a device's correction or scan, the manual scan is marked on the timeline
and has no device key, each fix is audited, retries act once, and support, viewers and other shops may not."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ordertrail.app import create_app
from ordertrail.settings import Settings
from ordertrail.storage.tables import scan_event
from tests.conftest import auth, order_body, scan_body
from tests.support.staff import FAST_HASHING, csrf_of, staff_user
from tests.support.store import rows


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", **FAST_HASHING)


def _delivered(client: TestClient, shop: str, scanner: str, order_number: str) -> tuple[str, dict[str, str]]:
    """A parcel scanned through to delivered; its number and its scans' event ids by status."""
    now = datetime.now(UTC)
    made = client.post(
        "/api/v1/orders",
        json=order_body(order_number=order_number, placed_at=(now - timedelta(hours=6)).isoformat()),
        headers=auth(shop),
    )
    assert made.status_code == 201, made.text
    number: str = made.json()["parcels"][0]["tracking_number"]
    ids = {}
    for hours, status in ((5, "dispatched"), (2, "out_for_delivery"), (1, "delivered")):
        body = scan_body(number, status, at=now - timedelta(hours=hours))
        assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
        ids[status] = body["event_id"]
    return number, ids


def _public_status(client: TestClient, number: str) -> str:
    status: str = client.get(f"/api/v1/tracking/{number}").json()["status"]
    return status


def _scans(client: TestClient, number: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    timeline = client.get(f"/api/v1/parcels/{number}/timeline", headers=headers).json()["timeline"]
    return [e for e in timeline if e["kind"] == "scan"]


def _key_in(html: str, marker: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html.split(marker, 1)[1])
    assert found is not None
    return found.group(1)


def test_an_operations_user_voids_a_delivered_scan_and_records_a_missing_one_from_the_page(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    shop, scanner = make_key("merchant", merchant="Shop A"), make_key("scanner")
    number, ids = _delivered(client, shop, scanner, "A-1")
    assert _public_status(client, number) == "delivered"
    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A")

    page = client.get(f"/console/parcels/{number}").text
    void_path = f"/console/parcels/{number}/scans/{ids['delivered']}/void"
    assert f'action="{void_path}"' in page and "Record a missing scan" in page
    form = {"reason": "Scanned at the depot by mistake", "idempotency_key": _key_in(page, void_path)}
    assert client.post(void_path, data=form, follow_redirects=False).status_code == 403  # no CSRF token
    assert _public_status(client, number) == "delivered"
    form["csrf_token"] = csrf_of(page)
    done = client.post(void_path, data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/console/parcels/{number}?done=voided#timeline"
    assert client.post(void_path, data=form, follow_redirects=False).status_code == 303  # submitted twice: once

    # The parcel is no longer delivered, for the customer too.
    assert _public_status(client, number) == "out_for_delivery"
    scans = _scans(client, number)
    corrections = [s for s in scans if s["status"] == "correction"]
    assert len(corrections) == 1 and corrections[0]["voids_event_id"] == ids["delivered"]
    assert [s["voided"] for s in scans if s["event_id"] == ids["delivered"]] == [True]
    shown = client.get(done.headers["location"]).text
    assert "Scan voided." in shown and f'action="{void_path}"' not in shown  # voided: no form any more

    # A missing hub scan between dispatch and out for delivery, recorded by hand.
    at = (datetime.now(UTC) - timedelta(hours=3)).replace(second=0, microsecond=0)
    form = {
        "status": "in_transit",
        "reason": "",
        "facility": "Leeds hub",
        "occurred_at": at.strftime("%Y-%m-%dT%H:%M"),
        "note": "The hub's scanner was down; on the paper manifest",
        "idempotency_key": _key_in(shown, 'id="scan"'),
        "csrf_token": csrf_of(shown),
    }
    path = f"/console/parcels/{number}/scans"
    assert client.post(path, data=form, follow_redirects=False).status_code == 303
    assert client.post(path, data=form, follow_redirects=False).status_code == 303  # submitted twice: one scan
    manual = [s for s in _scans(client, number) if s["manual"]]
    assert len(manual) == 1
    assert (manual[0]["status"], manual[0]["location"]["facility"], manual[0]["at"]) == (
        "in_transit", "Leeds hub", at.isoformat(),
    )  # fmt: skip
    assert [s["manual"] for s in _scans(client, number) if s["event_id"] == ids["dispatched"]] == [False]
    assert 'data-mark="manual"' in client.get(f"/console/parcels/{number}").text
    assert _public_status(client, number) == "out_for_delivery"  # a late scan: it does not move the parcel back
    # Not a device's scan: the event has no device key.
    (stored,) = rows(
        settings.resolved_database_url, select(scan_event).where(scan_event.c.event_id == manual[0]["event_id"])
    )
    assert stored["api_key_id"] is None

    log = client.get("/api/v1/audit-log", params={"tracking_number": number}).json()["entries"]
    actions = [(e["action"], e["actor"]["name"]) for e in log if e["action"].startswith("parcel.scan_")]
    assert actions == [("parcel.scan_recorded", "ops@example.com"), ("parcel.scan_voided", "ops@example.com")]
    timeline = client.get(f"/api/v1/parcels/{number}/timeline").json()["timeline"]
    assert {e["action"] for e in timeline if e["kind"] == "action"} >= {"parcel.scan_voided", "parcel.scan_recorded"}


def test_keys_void_and_record_once_per_idempotency_key_and_the_rules_of_a_scan_hold(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    shop, scanner = make_key("merchant", merchant="Shop A"), make_key("scanner")
    number, ids = _delivered(client, shop, scanner, "A-1")
    path = f"/api/v1/parcels/{number}/scans/{ids['delivered']}/void"
    headers = {**auth(shop), "Idempotency-Key": "void-1"}
    first = client.post(path, json={"reason": "Wrong parcel scanned"}, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["parcel_status"] == "out_for_delivery" and first.json()["voids_event_id"] == ids["delivered"]
    again = client.post(path, json={"reason": "Wrong parcel scanned"}, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["event_id"] == first.json()["event_id"]
    other = client.post(path, json={"reason": "Another reason"}, headers=headers)
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    twice = client.post(path, json={"reason": "Wrong parcel scanned"}, headers=auth(shop))
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "event_id"  # voided already
    assert len([s for s in _scans(client, number, auth(shop)) if s["status"] == "correction"]) == 1

    unknown = client.post(f"/api/v1/parcels/{number}/scans/nope/void", json={"reason": "x"}, headers=auth(shop))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "voids_event_id"
    no_reason = client.post(f"/api/v1/parcels/{number}/scans/{ids['dispatched']}/void", json={"reason": " "},
                            headers=auth(shop))  # fmt: skip
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"

    scans = f"/api/v1/parcels/{number}/scans"
    at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    body = {"status": "delivery_attempted", "occurred_at": at, "note": "Driver called it in"}
    missing = client.post(scans, json=body, headers=auth(shop))
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "reason"
    placed = client.post(scans, json={**body, "status": "order_placed"}, headers=auth(shop))
    assert placed.status_code == 422 and placed.json()["errors"][0]["field"] == "status"
    body["reason"] = "nobody_home"
    headers = {**auth(shop), "Idempotency-Key": "scan-1"}
    made = client.post(scans, json=body, headers=headers)
    assert made.status_code == 201 and made.json()["manual"] is True and made.headers.get("Idempotent-Replayed") is None
    assert made.json()["parcel_status"] == "delivery_attempted"
    replayed = client.post(scans, json=body, headers=headers)
    assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"
    assert len([s for s in _scans(client, number, auth(shop)) if s["manual"]]) == 1
    assert _public_status(client, number) == "delivery_attempted"
    admin = make_key("admin")  # merchant keys do not read the audit log
    log = client.get("/api/v1/audit-log", params={"action": "parcel.scan_recorded"}, headers=auth(admin))
    assert [e["detail"]["reason_code"] for e in log.json()["entries"]] == ["nobody_home"]


def test_support_viewers_scanners_and_other_shops_may_not_fix_scans(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    shop, theirs, scanner = (
        make_key("merchant", merchant="Shop A"),
        make_key("merchant", merchant="Shop B"),
        make_key("scanner"),
    )
    number, ids = _delivered(client, shop, scanner, "A-1")
    void = f"/api/v1/parcels/{number}/scans/{ids['delivered']}/void"
    scan = f"/api/v1/parcels/{number}/scans"
    manual = {"status": "in_transit", "occurred_at": datetime.now(UTC).isoformat(), "note": "by hand"}
    assert client.post(void, json={"reason": "wrong"}, headers=auth(theirs)).status_code == 404
    assert client.post(void, json={"reason": "wrong"}, headers=auth(scanner)).status_code == 403
    assert client.post(scan, json=manual, headers=auth(theirs)).status_code == 404

    for email, role in (("help@example.com", "support"), ("look@example.com", "viewer")):
        with TestClient(create_app(settings), base_url="http://testserver") as person:
            staff_user(person, run_services, settings, email, role, "Shop A")
            page = person.get(f"/console/parcels/{number}").text
            assert "Void this scan" not in page and "Record a missing scan" not in page
            token = {"X-CSRF-Token": csrf_of(page)}
            refused = person.post(void, json={"reason": "wrong"}, headers=token)
            assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
            assert person.post(scan, json=manual, headers=token).status_code == 403, role
            form = {"reason": "wrong", "csrf_token": csrf_of(page)}
            posted = person.post(f"/console/parcels/{number}/scans/{ids['delivered']}/void", data=form)
            assert posted.status_code == 403, role
    assert _public_status(client, number) == "delivered"  # the refusals changed nothing
