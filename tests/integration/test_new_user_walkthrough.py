"""The API as a new user meets it: keys from the CLI, a real server, an order, scans, public tracking."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ordertrail.domain.tracking.tracking_number import generate
from tests.conftest import ServerProcess, auth, scan_body

CANARIES = {
    "name": "Zebulon Canaryfield",
    "email": "zebulon.canary@example.org",
    "phone": "+44 7700 900123",
    "line1": "77 Canary Wharf Lane",
    "postal_code": "ZZ9 9ZZ",
    "order_number": "CANARY-ORDER-4711",
    "note": "leave with canary neighbour",
    "recipient": "Canary Recipient",
}


def key_from_cli(server: ServerProcess, *args: str) -> str:
    result = server.cli("keys", "create", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_walkthrough(server: ServerProcess, request: pytest.FixtureRequest) -> None:
    assert server.cli("merchants", "create", "Canary Goods").returncode == 0
    merchant_key = key_from_cli(server, "--role", "merchant", "--name", "shop backend", "--merchant", "Canary Goods")
    scanner_key = key_from_cli(server, "--role", "scanner", "--name", "handheld 7")
    http = server.http()
    request.addfinalizer(http.close)

    start = datetime.now(UTC) - timedelta(days=2)
    placed = http.post(
        "/api/v1/orders",
        headers=auth(merchant_key),
        json={
            "order_number": CANARIES["order_number"],
            "placed_at": start.isoformat(),
            "customer": {"name": CANARIES["name"], "email": CANARIES["email"], "phone": CANARIES["phone"]},
            "destination": {
                "line1": CANARIES["line1"],
                "city": "Manchester",
                "postal_code": CANARIES["postal_code"],
                "country": "GB",
            },
            "parcels": [{"weight_grams": 800}, {"weight_grams": 2500}],
        },
    )
    assert placed.status_code == 201, placed.text
    parcels = placed.json()["parcels"]
    assert len(parcels) == 2 and all(p["status"] == "order_placed" for p in parcels)
    number = parcels[0]["tracking_number"]

    paris = timezone(timedelta(hours=1))

    def at(hours: float) -> datetime:
        return (start + timedelta(hours=hours)).astimezone(paris)

    def post(body: dict[str, object]) -> tuple[int, dict[str, object]]:
        response = http.post("/api/v1/scans", headers=auth(scanner_key), json=body)
        return response.status_code, response.json()

    for status, hours in [("processing", 1), ("packed", 2), ("in_transit", 6)]:
        code, body = post(scan_body(number, status, at=at(hours), note=CANARIES["note"]))
        assert code == 201, body

    # A duplicate: the very same scan sent again (a retry) -> 200 and the stored result, nothing new.
    retry = scan_body(number, "in_transit", at=at(10), substatus="in_transit.arrived_at_hub")
    assert post(retry)[0] == 201
    code, again = post(retry)
    assert code == 200 and again["outcome"] == "duplicate"
    assert again["event"]["sequence"] == 5

    assert post(scan_body(number, "out_for_delivery", at=at(20)))[0] == 201

    # A conflicting reuse of an event_id -> 409, and nothing changes.
    code, conflict = post({**retry, "status": "delivered"})
    assert code == 409 and conflict["type"].endswith("event-id-conflict")

    # A late scan: dispatched happened at hour 4, but reaches us only now (after in_transit at hour 6).
    code, late = post(scan_body(number, "dispatched", at=at(4)))
    assert code == 201 and late["event"]["late"] is True
    assert late["parcel"]["status"] == "out_for_delivery"  # it did not move the parcel back

    code, delivered = post(scan_body(number, "delivered", at=at(22), proof={"recipient_name": CANARIES["recipient"]}))
    assert code == 201 and delivered["parcel"]["status"] == "delivered"

    tracking = http.get(f"/api/v1/tracking/{number.lower()}")
    assert tracking.status_code == 200
    document = tracking.json()
    assert document["status"] == "delivered"
    events = document["events"]
    times = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    assert times == sorted(times)
    assert [e["status"] for e in events] == [
        "order_placed",
        "processing",
        "packed",
        "dispatched",
        "in_transit",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert [e["status"] for e in events if e["late"]] == ["dispatched"]
    assert events[1]["occurred_at"].endswith("+01:00")  # each event keeps its own offset
    assert all(m["reached_at"] for m in document["milestones"])

    text = json.dumps(document)
    for canary in CANARIES.values():
        assert canary not in text, canary
    assert "Hub North" not in text  # facilities are internal; only city-level places are public

    # The merchant sees everything, including proof; the public miss is the same for unknown and malformed.
    private = http.get(f"/api/v1/orders/{CANARIES['order_number']}", headers=auth(merchant_key)).json()
    assert private["parcels"][0]["events"][-1]["proof"]["recipient_name"] == CANARIES["recipient"]
    unknown = http.get("/api/v1/tracking/OT0000000000" + "0")
    malformed = http.get("/api/v1/tracking/not-a-number")
    assert unknown.status_code == malformed.status_code == 404
    assert unknown.json() == malformed.json()


def test_keys_created_and_revoked_while_running_count_at_once(
    server: ServerProcess, request: pytest.FixtureRequest
) -> None:
    http = server.http()
    request.addfinalizer(http.close)
    admin = key_from_cli(server, "--role", "admin", "--name", "ops")
    assert http.get("/api/v1/orders", headers=auth(admin)).status_code == 200
    listed = server.cli("keys", "list")
    assert "ops" in listed.stdout and admin not in listed.stdout  # keys are never shown again
    key_id = next(line for line in listed.stdout.splitlines() if "ops" in line).split("│")[1].strip()
    assert server.cli("keys", "revoke", key_id).returncode == 0
    refused = http.get("/api/v1/orders", headers=auth(admin))
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"


def test_unknown_number_is_kept_and_attaches_when_its_parcel_appears(
    server: ServerProcess, request: pytest.FixtureRequest
) -> None:
    http = server.http()
    request.addfinalizer(http.close)
    assert server.cli("merchants", "create", "Preprint Co").returncode == 0
    merchant = key_from_cli(server, "--role", "merchant", "--name", "erp", "--merchant", "Preprint Co")
    scanner = key_from_cli(server, "--role", "scanner", "--name", "dock", "--facility", "Dock 3")
    admin = key_from_cli(server, "--role", "admin", "--name", "ops")
    number = generate()
    early = scan_body(number, "packed", event_id=str(uuid.uuid4()))
    response = http.post("/api/v1/scans", headers=auth(scanner), json=early)
    assert response.status_code == 404
    assert response.json()["type"].endswith("unmatched-scan")
    kept = http.get("/api/v1/unmatched-scans", headers=auth(admin)).json()["unmatched_scans"]
    assert [k["event_id"] for k in kept] == [early["event_id"]]

    placed = http.post(
        "/api/v1/orders",
        headers=auth(merchant),
        json={
            "order_number": "PRE-1",
            "customer": {"name": "A B", "email": "a@example.com"},
            "destination": {"line1": "1 Road", "city": "York", "postal_code": "YO1 1AA", "country": "GB"},
            "parcels": [{"tracking_number": number}],
        },
    )
    assert placed.status_code == 201, placed.text
    assert placed.json()["parcels"][0]["status"] == "packed"
    (event,) = [e for e in placed.json()["parcels"][0]["events"] if e["status"] == "packed"]
    assert event["event_id"] == early["event_id"]
    assert event["location"]["facility"] == "Dock 3"  # from the key, not the body
    assert http.get("/api/v1/unmatched-scans", headers=auth(admin)).json()["unmatched_scans"] == []
    # A retry of the attached scan is now an ordinary duplicate.
    assert http.post("/api/v1/scans", headers=auth(scanner), json=early).status_code == 200
