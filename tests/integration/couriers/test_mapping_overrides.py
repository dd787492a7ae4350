"""Merchants' overrides of courier status mappings, on a real store with a real SMTP server and webhook receiver:
an unmapped code lands in the queue; mapping it re-derives the parcel (public JSON, customer email, merchant
webhook) and empties the queue; removing the override puts it back; merchants see and change only their own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body, wait_for
from tests.integration.couriers.test_carrier_events import Courier, event, outcomes
from tests.support.notify import Receiver, SmtpServer, receiver, settled, smtp_server
from tests.support.staff import FAST_HASHING, csrf_of, staff_user

__all__ = ["receiver", "smtp_server"]


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        smtp_url=smtp_server.url,
        smtp_from="Parcels <parcels@example.com>",
        webhook_allow_private=True,  # the receiver listens on 127.0.0.1
        webhook_ports="*",
        webhook_retry_delays="50ms,50ms,50ms",
        **FAST_HASHING,
    )


def _handed_over(client: TestClient, shop: str, scanner: str, courier_number: str, email: str) -> str:
    """A parcel of ``shop``, dispatched two hours ago and handed to UPS under ``courier_number``."""
    now = datetime.now(UTC)
    body = order_body(placed_at=(now - timedelta(hours=3)).isoformat(), customer={"name": "Ada", "email": email})
    made = client.post("/api/v1/orders", json=body, headers=auth(shop))
    assert made.status_code == 201, made.text
    number: str = made.json()["parcels"][0]["tracking_number"]
    dispatched = scan_body(number, "dispatched", at=now - timedelta(hours=2))
    assert client.post("/api/v1/scans", json=dispatched, headers=auth(scanner)).status_code == 201
    handover = {"courier": "ups", "tracking_number": courier_number}
    assert client.post(f"/api/v1/parcels/{number}/handover", json=handover, headers=auth(shop)).is_success
    return number


def _queue(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/unmapped-courier-codes", headers=headers)
    assert response.status_code == 200, response.text
    return [{k: c[k] for k in ("merchant", "courier", "code", "events", "parcels")} for c in response.json()["codes"]]


def _hooks(receiver: Receiver, number: str) -> list[str]:
    bodies = [orjson.loads(r.body) for r in receiver.snapshot()]
    return [b["type"] for b in bodies if b["data"].get("tracking_number") == number]


def _delivered_mails(smtp_server: SmtpServer, address: str) -> list[Any]:
    return [m for m in smtp_server.to(address) if "delivered" in str(m["Subject"]).lower()]


def test_mapping_an_unmapped_code_re_derives_the_parcel_and_removing_it_puts_it_back(
    client: TestClient,
    make_key: Callable[..., str],
    settings: Settings,
    receiver: Receiver,
    smtp_server: SmtpServer,
) -> None:
    shop, scanner, admin = make_key("merchant", merchant="Shop A"), make_key("scanner"), make_key("admin")
    endpoint = client.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth(shop))
    assert endpoint.status_code == 201, endpoint.text
    number = _handed_over(client, shop, scanner, "1Z5R89390357567127", "ada@example.com")
    ups = Courier(client, admin)
    at = datetime.now(UTC) - timedelta(hours=1)
    posted = ups.post([event("u1", "I", at - timedelta(minutes=30)), event("u2", "ZZ", at)])
    assert outcomes(posted) == ["created", "created"]
    assert [r["mapped"] for r in posted.json()["results"]] == [True, False]
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "in_transit"
    assert _queue(client, auth(shop)) == [
        {"merchant": "Shop A", "courier": "ups", "code": "ZZ", "events": 1, "parcels": 1}
    ]
    wait_for(lambda: settled(settings.resolved_database_url), timeout=30, what="the deliveries so far")
    assert _delivered_mails(smtp_server, "ada@example.com") == []
    assert "parcel.delivered" not in _hooks(receiver, number)

    # The shop learns that ZZ means "left with a neighbour" and says so.
    headers = {**auth(shop), "Idempotency-Key": "map-zz-1"}
    meaning = {"status": "delivered", "substatus": "delivered.to_neighbour"}
    mapped = client.put("/api/v1/courier-mappings/ups/ZZ", json=meaning, headers=headers)
    assert mapped.status_code == 200, mapped.text
    assert {k: mapped.json()[k] for k in ("merchant", "status", "source", "rederived")} == {
        "merchant": "Shop A",
        "status": "delivered",
        "source": "override",
        "rederived": 1,
    }
    public = client.get(f"/api/v1/tracking/{number}").json()
    assert (public["status"], public["substatus"]) == ("delivered", "delivered.to_neighbour")
    courier_events = [(e["status"], e["occurred_at"][:19]) for e in public["events"]][2:]
    assert courier_events == [
        ("in_transit", (at - timedelta(minutes=30)).isoformat()[:19]),
        ("delivered", at.isoformat()[:19]),  # at the courier's own time, the unmapped entry gone
    ]
    assert _queue(client, auth(shop)) == []
    # As if mapped from the start: the customer is told, and the merchant's webhook fires.
    wait_for(lambda: _delivered_mails(smtp_server, "ada@example.com"), timeout=30, what="the delivered email")
    wait_for(lambda: "parcel.delivered" in _hooks(receiver, number), timeout=30, what="the delivered webhook")

    retried = client.put("/api/v1/courier-mappings/ups/ZZ", json=meaning, headers=headers)
    assert retried.status_code == 200 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json() == mapped.json()
    other = client.put("/api/v1/courier-mappings/ups/ZZ", json={"status": "in_transit"}, headers=headers)
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert [e["status"] for e in client.get(f"/api/v1/tracking/{number}").json()["events"]][-1] == "delivered"
    listed = client.get("/api/v1/courier-mappings", headers=auth(shop)).json()["overrides"]
    assert [(o["courier"], o["code"], o["status"]) for o in listed] == [("ups", "ZZ", "delivered")]

    # The next ZZ event is mapped by the override as it arrives.
    second = _handed_over(client, shop, scanner, "LOCAL-0002", "bob@example.com")
    arrived = ups.post([event("u9", "ZZ", at, number="LOCAL-0002")])
    assert arrived.json()["results"][0]["mapped"] is True
    assert client.get(f"/api/v1/tracking/{second}").json()["status"] == "delivered"

    removed = client.delete("/api/v1/courier-mappings/ups/ZZ", headers={**auth(shop), "Idempotency-Key": "rm-1"})
    assert removed.status_code == 200, removed.text
    assert (removed.json()["source"], removed.json()["rederived"]) == ("unmapped", 2)
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "in_transit"
    assert _queue(client, auth(shop)) == [
        {"merchant": "Shop A", "courier": "ups", "code": "ZZ", "events": 2, "parcels": 2}
    ]
    again = client.delete("/api/v1/courier-mappings/ups/ZZ", headers=auth(shop))
    assert again.status_code == 404 and again.json()["errors"][0]["field"] == "code"
    log = client.get("/api/v1/audit-log", headers=auth(admin)).json()["entries"]
    actions = [e["action"] for e in log if e["action"].startswith("courier_mapping.")]
    assert sorted(actions) == ["courier_mapping.removed", "courier_mapping.set"]


def test_merchants_see_and_override_only_their_own_codes(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    shop_a, shop_b = make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B")
    scanner, admin = make_key("scanner"), make_key("admin")
    number = _handed_over(client, shop_a, scanner, "1Z5R89390357567127", "ada@example.com")
    ups = Courier(client, admin)
    assert outcomes(ups.post([event("u1", "QQ", datetime.now(UTC) - timedelta(minutes=5))])) == ["created"]

    assert _queue(client, auth(shop_b)) == []
    assert [c["merchant"] for c in _queue(client, auth(admin))] == ["Shop A"]
    refused = client.put(
        "/api/v1/courier-mappings/ups/QQ", json={"merchant": "Shop A", "status": "delivered"}, headers=auth(shop_b)
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "merchant"
    own = client.put("/api/v1/courier-mappings/ups/QQ", json={"status": "delivered"}, headers=auth(shop_b))
    assert own.status_code == 200 and own.json()["rederived"] == 0  # Shop B's meaning, for Shop B's parcels
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "in_transit"
    assert client.get("/api/v1/courier-mappings", headers=auth(shop_a)).json()["overrides"] == []
    # Shop B's meaning applies to an event kept before its parcel was handed over, when the handover attaches it.
    kept = ups.post([event("k1", "QQ", datetime.now(UTC) - timedelta(minutes=5), number="LOCAL-0003")])
    assert outcomes(kept) == ["unmatched"]
    theirs = _handed_over(client, shop_b, scanner, "LOCAL-0003", "bob@example.com")
    assert client.get(f"/api/v1/tracking/{theirs}").json()["status"] == "delivered"
    assert _queue(client, auth(shop_b)) == []
    assert client.delete("/api/v1/courier-mappings/ups/QQ?merchant=Shop%20A", headers=auth(shop_b)).status_code == 422

    # The same rules as the mapping files; an admin names the merchant.
    path = "/api/v1/courier-mappings/ups/QQ"
    for body, field in (
        ({"status": "packed"}, "status"),
        ({"status": "exception"}, "reason"),
        ({"status": "in_transit", "substatus": "delivered.to_neighbour"}, "substatus"),
    ):
        bad = client.put(path, json={"merchant": "Shop A", **body}, headers=auth(admin))
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == field, bad.text
    unnamed = client.put(path, json={"status": "delivered"}, headers=auth(admin))
    assert unnamed.status_code == 422 and unnamed.json()["errors"][0]["field"] == "merchant"
    assert client.put(path, json={"status": "delivered"}, headers=auth(scanner)).status_code == 403

    # A support user reads the queue but may not map; an operations user of Shop A may.
    staff_user(client, run_services, settings, "help@example.com", "support", "Shop A")
    token = {"X-CSRF-Token": csrf_of(client.get("/console").text)}
    assert [c["code"] for c in _queue(client, token)] == ["QQ"]
    assert client.put(path, json={"status": "delivered"}, headers=token).status_code == 403
    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    ops_token = {"X-CSRF-Token": csrf_of(client.get("/console").text)}
    exception = {"status": "exception", "reason": "damaged"}
    done = client.put(path, json=exception, headers={**ops_token, "Idempotency-Key": str(uuid.uuid4())})
    assert done.status_code == 200 and done.json()["rederived"] == 1, done.text
    public = client.get(f"/api/v1/tracking/{number}").json()
    assert public["status"] == "exception"


def test_the_console_queue_maps_a_code_with_its_form_and_the_overview_counts_it(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    shop_a, _ = make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B")
    scanner, admin = make_key("scanner"), make_key("admin")
    number = _handed_over(client, shop_a, scanner, "1Z5R89390357567127", "ada@example.com")
    ups = Courier(client, admin)
    assert outcomes(ups.post([event("u1", "XD", datetime.now(UTC) - timedelta(minutes=5))])) == ["created"]

    staff_user(client, run_services, settings, "owner@b.example", "merchant", "Shop B")
    # Its form field, not the bare letters: a page's random CSRF token may hold "XD" (CI drew one that did).
    assert 'name="code" value="XD"' not in client.get("/console/courier-codes").text  # not another merchant's code
    staff_user(client, run_services, settings, "owner@a.example", "merchant", "Shop A")
    overview = client.get("/console").text
    assert 'href="/console/courier-codes"><span class="tile-count">1</span>' in overview
    queue = client.get("/console/courier-codes")
    assert queue.status_code == 200 and "XD" in queue.text and 'action="/console/courier-codes/map"' in queue.text
    form = {
        "csrf_token": csrf_of(queue.text),
        "idempotency_key": "form-1",
        "merchant": "Shop A",
        "courier": "ups",
        "code": "XD",
        "status": "delivery_attempted",
        "reason": "",
    }
    assert client.post("/console/courier-codes/map", data={**form, "csrf_token": ""}).status_code == 403
    refused = client.post("/console/courier-codes/map", data=form)
    assert refused.status_code == 422 and "reason delivery_attempted needs a reason" in refused.text
    done = client.post("/console/courier-codes/map", data={**form, "reason": "nobody_home"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "delivery_attempted"
    page = client.get("/console/courier-codes").text
    assert "No unmapped codes" in page and "delivery attempted (nobody home)" in page
    assert 'href="/console/courier-codes"><span class="tile-count">0</span>' in client.get("/console").text
    removed = client.post(
        "/console/courier-codes/remove",
        data={"csrf_token": csrf_of(page), "merchant": "Shop A", "courier": "ups", "code": "XD"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "in_transit"
