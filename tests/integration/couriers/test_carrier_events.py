"""Courier events over HTTP: signed batches join the parcel's timeline under the scan rules; unmatched ones wait."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from ordertrail.services.context import Services
from ordertrail.storage.couriers import events as event_store
from tests.conftest import auth, scan_body

UPS_NUMBER = "1Z5R89390357567127"


class Courier:
    """A courier integration posting signed batches."""

    def __init__(self, client: TestClient, admin: str, courier: str = "ups") -> None:
        response = client.post(
            "/api/v1/courier-integrations", json={"courier": courier, "name": "UPS feed"}, headers=auth(admin)
        )
        assert response.status_code == 201, response.text
        self.client, self.id, self.secret = client, response.json()["id"], response.json()["secret"]

    def post(self, events: list[dict[str, Any]], *, tamper: bool = False) -> Any:
        body = orjson.dumps({"events": events})
        message_id = f"msg_{uuid.uuid4().hex}"
        signature = Webhook(self.secret).sign(message_id, datetime.now(UTC), body.decode())
        if tamper:  # the signature of the body as sent, a different body received
            body = body.replace(b'"code":"', b'"code":"X', 1)
        headers = {
            "webhook-id": message_id,
            "webhook-timestamp": str(int(datetime.now(UTC).timestamp())),
            "webhook-signature": signature,
            "content-type": "application/json",
        }
        return self.client.post(f"/api/v1/carrier-events?integration={self.id}", content=body, headers=headers)


def event(event_id: str, code: str, at: datetime, number: str = UPS_NUMBER) -> dict[str, Any]:
    return {
        "id": event_id,
        "tracking_number": number,
        "code": code,
        "occurred_at": at.isoformat(),
        "description": "Signed for by J SMITH" if code == "D" else None,
        "location": {"city": "Leeds", "country": "GB"},
    }


def outcomes(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["outcome"] for r in response.json()["results"]]


def test_courier_events_follow_the_scan_rules_and_show_on_the_public_timeline(
    client: TestClient,
    make_order: Callable[..., dict[str, Any]],
    make_key: Callable[..., str],
    run_services: Callable[..., Any],
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    merchant, scanner, admin = make_key("merchant", merchant="Test Shop"), make_key("scanner"), make_key("admin")
    start = datetime.now(UTC) - timedelta(hours=5)
    assert client.post(
        "/api/v1/scans", json=scan_body(number, "dispatched", at=start), headers=auth(scanner)
    ).is_success
    handover = {"courier": "ups", "tracking_number": UPS_NUMBER}
    assert client.post(f"/api/v1/parcels/{number}/handover", json=handover, headers=auth(merchant)).is_success
    ups = Courier(client, admin)

    first = [event("u1", "I", start + timedelta(hours=1)), event("u3", "D", start + timedelta(hours=3))]
    assert ups.post(first, tamper=True).status_code == 401  # a bad signature: refused, nothing recorded
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "dispatched"

    assert outcomes(ups.post(first)) == ["created", "created"]
    late = ups.post([event("u2", "O", start + timedelta(hours=2)), event("u9", "ZZ", start + timedelta(hours=4))])
    assert outcomes(late) == ["created", "created"]
    assert [r["mapped"] for r in late.json()["results"]] == [True, False]
    resend = ups.post([*first, {**event("u1", "I", start), "code": "D"}])  # duplicates, then a changed event
    assert outcomes(resend) == ["duplicate", "duplicate", "conflict"]

    public = client.get(f"/api/v1/tracking/{number}").json()
    assert public["status"] == "delivered"  # the late out-for-delivery and unmapped code moved nothing back
    timeline = [(e["status"], e["late"]) for e in public["events"]]
    assert timeline == [
        ("order_placed", False),
        ("dispatched", False),
        ("in_transit", False),
        ("out_for_delivery", True),
        ("delivered", False),
        ("in_transit", False),  # the unmapped code, after delivery: recorded, status unchanged
    ]
    assert "SMITH" not in orjson.dumps(public).decode()
    assert public["courier"]["tracking_url"] and UPS_NUMBER in public["courier"]["tracking_url"]
    page = client.get(f"/t/{number}").text
    assert "Out for delivery" in page and 'class="courier-link"' in page

    unmapped = late.json()["results"][1]["event_id"]

    async def codes(services: Services) -> Any:
        parcel_id = (await services.db.read(lambda c: event_store.known_courier_events(c, [unmapped])))[
            unmapped
        ].parcel_id
        return await services.db.read(lambda c: event_store.raw_codes(c, parcel_id))

    assert run_services(codes)[unmapped] == ("ups", "ZZ", False)  # the raw code kept beside the in_transit event


def test_unmatched_courier_events_are_kept_and_join_the_parcel_at_its_handover(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    merchant, admin = make_key("merchant", merchant="Test Shop"), make_key("admin")
    dhl = Courier(client, admin, courier="dhl")
    at = datetime.now(UTC) - timedelta(hours=2)
    early = [event("d1", "transit", at, number="JD0001"), event("d2", "nonsense", at + timedelta(hours=1), "JD0001")]
    assert outcomes(dhl.post(early)) == ["unmatched", "unmatched"]
    assert outcomes(dhl.post(early[:1])) == ["unmatched"]  # a resend is unmatched again, kept once
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "order_placed"

    handover = {"courier": "dhl", "tracking_number": "jd 0001"}
    assert client.post(f"/api/v1/parcels/{number}/handover", json=handover, headers=auth(merchant)).is_success
    public = client.get(f"/api/v1/tracking/{number}").json()
    assert [e["status"] for e in public["events"]] == ["order_placed", "in_transit", "in_transit"]
    assert outcomes(dhl.post(early)) == ["duplicate", "duplicate"]  # now matched: resends are plain duplicates

    # An integration only speaks for its own courier: a UPS feed's event for that number matches nothing.
    ups = Courier(client, admin, courier="ups")
    assert outcomes(ups.post([event("d1", "I", at, number="JD0001")])) == ["unmatched"]
    bad = dhl.post([{"id": "x", "tracking_number": "JD0001", "code": "transit"}])
    assert outcomes(bad) == ["invalid"] and bad.json()["results"][0]["errors"][0]["field"] == "events.0.occurred_at"


def test_an_integration_id_outside_the_stores_range_is_a_422_not_a_database_error(client: TestClient) -> None:
    # PostgreSQL answered -10^18 with "integer out of range" (a 500) before ids were bounded (found by the fuzz test).
    for integration in ("-1000000000000000001", "0", str(2**31)):
        answer = client.post(f"/api/v1/carrier-events?integration={integration}", json={"events": []})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "query.integration", answer.text
