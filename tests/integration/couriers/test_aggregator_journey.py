"""A parcel dispatched from the warehouse and handed to a courier, followed through every way courier events
arrive (generic, Karrio, EasyPost, AfterShip): one timeline, the same notifications as a first-party journey."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body, wait_for
from tests.support.aggregators import PERSONAL, aftership_update, easypost_event, karrio_tracker, signed
from tests.support.notify import Receiver, SmtpServer, receiver, settled, smtp_server

__all__ = ["receiver", "smtp_server"]

UPS_NUMBER = "1Z5R89390357567127"


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        smtp_url=smtp_server.url,
        webhook_allow_private=True,
        webhook_ports="*",
        webhook_retry_delays="50ms",
    )


def integration(client: TestClient, admin: str, source: str, secret: str | None = None) -> tuple[int, str]:
    body = {"courier": "ups", "name": f"UPS via {source}", "source": source}
    if secret is not None:
        body["secret"] = secret
    response = client.post("/api/v1/courier-integrations", json=body, headers=auth(admin))
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["secret"]


def post_generic(client: TestClient, integration_id: int, secret: str, events: list[dict[str, Any]]) -> Any:
    body = orjson.dumps({"events": events}).decode()
    message_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
        "content-type": "application/json",
    }
    return client.post(f"/api/v1/carrier-events?integration={integration_id}", content=body, headers=headers)


def post_aggregator(
    client: TestClient, aggregator: str, integration_id: int, secret: str, document: dict[str, Any]
) -> Any:
    body, headers = signed(aggregator, secret, document)
    return client.post(
        f"/api/v1/carrier-events/{aggregator}?integration={integration_id}", content=body, headers=headers
    )


def outcomes(response: Any) -> list[tuple[str, bool]]:
    assert response.status_code == 200, response.text
    return [(r["outcome"], r["mapped"]) for r in response.json()["results"]]


def test_a_courier_journey_through_every_adapter_is_one_timeline_notified_like_a_first_party_one(
    client: TestClient,
    settings: Settings,
    make_key: Callable[..., str],
    receiver: Receiver,
    smtp_server: SmtpServer,
) -> None:
    merchant, scanner, admin = make_key("merchant", merchant="Test Shop"), make_key("scanner"), make_key("admin")
    assert client.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth(merchant)).is_success
    placed = (datetime.now(UTC) - timedelta(hours=10)).isoformat()

    def order(email: str) -> str:
        customer = {"name": "Ada Lovelace", "email": email}
        body = order_body(customer=customer, placed_at=placed, order_number=email.split("@")[0])
        response = client.post("/api/v1/orders", json=body, headers=auth(merchant))
        assert response.status_code == 201, response.text
        number: str = response.json()["parcels"][0]["tracking_number"]
        return number

    first_party, couriered = order("first@example.com"), order("courier@example.com")
    start = datetime.now(UTC) - timedelta(hours=6)
    hours = [start + timedelta(hours=h) for h in range(6)]

    # The first-party journey: hub scans, one of them late (it arrives after out-for-delivery).
    for status, at in [
        ("dispatched", hours[0]),
        ("in_transit", hours[1]),
        ("in_transit", hours[2]),
        ("out_for_delivery", hours[4]),
        ("in_transit", hours[3]),
        ("delivered", hours[5]),
    ]:
        assert client.post(
            "/api/v1/scans", json=scan_body(first_party, status, at=at), headers=auth(scanner)
        ).is_success

    # The courier journey: dispatched from the warehouse by scan, handed to UPS, then the courier's events.
    assert client.post(
        "/api/v1/scans", json=scan_body(couriered, "dispatched", at=hours[0]), headers=auth(scanner)
    ).is_success
    handover = {"courier": "ups", "tracking_number": UPS_NUMBER}
    assert client.post(f"/api/v1/parcels/{couriered}/handover", json=handover, headers=auth(merchant)).is_success
    generic = integration(client, admin, "generic")
    karrio = integration(client, admin, "karrio", "karrio-webhook-secret-0042")
    easypost = integration(client, admin, "easypost")
    aftership = integration(client, admin, "aftership", "aftership-webhook-secret-7c1d")

    at_hub = {"id": "ups-1", "tracking_number": UPS_NUMBER, "code": "I", "occurred_at": hours[1].isoformat()}
    assert outcomes(post_generic(client, *generic, [at_hub])) == [("created", True)]

    arrival = aftership_update(UPS_NUMBER, [("InTransit", "InTransit_003", hours[2], "Arrived at Facility")])
    assert outcomes(post_aggregator(client, "aftership", *aftership, arrival)) == [("created", True)]
    assert outcomes(post_aggregator(client, "aftership", *aftership, arrival)) == [("duplicate", True)]

    out = karrio_tracker(UPS_NUMBER, [("O", hours[4], "Out For Delivery Today")])
    assert outcomes(post_aggregator(client, "karrio", *karrio, out)) == [("created", True)]

    history = easypost_event(
        UPS_NUMBER,
        [
            ("in_transit", "arrived_at_facility", hours[3], "Arrived at Facility"),  # out of order: before the OFD
            ("delivered", "arrived_at_destination", hours[5], "Delivered, signed for by G HOPPER"),
        ],
    )
    before = client.get(f"/api/v1/tracking/{couriered}").json()
    forged = post_aggregator(client, "easypost", easypost[0], "not-the-secret", history)
    assert forged.status_code == 401 and forged.headers["content-type"] == "application/problem+json"
    assert client.get(f"/api/v1/tracking/{couriered}").json() == before  # refused: nothing recorded
    recorded = post_aggregator(client, "easypost", *easypost, history)
    assert outcomes(recorded) == [("created", True), ("created", True)]

    courier_view, first_party_view = (client.get(f"/api/v1/tracking/{n}").json() for n in (couriered, first_party))
    assert courier_view["status"] == "delivered"
    timeline = [(e["status"], e["late"]) for e in courier_view["events"]]
    assert timeline == [
        ("order_placed", False),
        ("dispatched", False),
        ("in_transit", False),  # generic
        ("in_transit", False),  # AfterShip (its resend recorded nothing)
        ("in_transit", True),  # EasyPost's, late: it happened before Karrio's out-for-delivery
        ("out_for_delivery", False),  # Karrio
        ("delivered", False),  # EasyPost
    ]
    assert timeline == [(e["status"], e["late"]) for e in first_party_view["events"]]
    times = [e["occurred_at"] for e in courier_view["events"]]
    assert times == sorted(times, key=datetime.fromisoformat)

    # The same e-mails and merchant webhooks as the first-party journey, in the same order.
    url = settings.resolved_database_url

    def types_of(number: str) -> list[str]:
        payloads = [json.loads(r.body) for r in receiver.snapshot()]
        return [p["type"] for p in payloads if p["data"].get("tracking_number") == number]

    wait_for(lambda: settled(url) and "parcel.delivered" in types_of(couriered), what="notifications settled")
    assert types_of(couriered) == types_of(first_party)
    assert types_of(couriered)[-1] == "parcel.delivered"
    subjects = {
        a: [m["Subject"].replace(a.split("@")[0], "<order>") for m in smtp_server.to(a)]
        for a in ("first@example.com", "courier@example.com")
    }
    assert subjects["courier@example.com"] == subjects["first@example.com"]
    assert subjects["first@example.com"][-1] == "Your parcel from Test Shop has been delivered"

    # Nothing personal from the couriers' payloads on a public surface: JSON, page, customer e-mails.
    page = client.get(f"/t/{couriered}")
    mails = [m.get_body(("plain",)).get_content() for m in smtp_server.to("courier@example.com")]  # type: ignore[union-attr]
    for surface in (orjson.dumps(courier_view).decode(), page.text, *mails):
        for personal in PERSONAL:
            assert personal not in surface
    assert "Delivered" in page.text and courier_view["courier"]["tracking_number"] == UPS_NUMBER
