"""Correcting an order's recipient before delivery (the parcel page's form and POST
/api/v1/orders/{n}/recipient) on a real store and a real SMTP server: a new version with who, why and the fields
changed, the next email to the corrected address, both versions on the parcel's detail (values only for roles that
see the customer's contact), refused after delivery with nothing changed, once per Idempotency-Key, and not for
support, viewers or other shops."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.app import create_app
from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body, wait_for
from tests.support.notify import SmtpServer, smtp_server
from tests.support.staff import FAST_HASHING, csrf_of, staff_user

__all__ = ["smtp_server"]

OLD, NEW = "ada@example.com", "ada.lovelace@example.org"


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        smtp_url=smtp_server.url,
        smtp_from="Parcels <parcels@example.com>",
        **FAST_HASHING,
    )


def _order(client: TestClient, shop: str, scanner: str, order_number: str) -> str:
    placed = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    made = client.post(
        "/api/v1/orders", json=order_body(order_number=order_number, placed_at=placed), headers=auth(shop)
    )
    assert made.status_code == 201, made.text
    number: str = made.json()["parcels"][0]["tracking_number"]
    body = scan_body(number, "dispatched", at=datetime.now(UTC) - timedelta(hours=2))
    assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
    return number


def _form(page: str, **changes: str) -> dict[str, str]:
    """The recipient form as the page fills it in, with ``changes``."""
    section = page.split('id="recipient"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'name="([a-z_0-9]+)"[^>]*?value="([^"]*)"', section))
    return {**fields, "csrf_token": csrf_of(page), **changes}


def _subjects(smtp_server: SmtpServer, address: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp_server.to(address)]


def test_an_operations_user_corrects_the_address_and_the_next_email_goes_there(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings,
    smtp_server: SmtpServer,
) -> None:  # fmt: skip
    shop, scanner, admin = make_key("merchant", merchant="Shop A"), make_key("scanner"), make_key("admin")
    number = _order(client, shop, scanner, "A-1")
    wait_for(lambda: len(smtp_server.to(OLD)) >= 2, what="the confirmation and dispatch emails")
    before = len(smtp_server.to(OLD))
    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A")

    page = client.get(f"/console/parcels/{number}").text
    assert "Correct the recipient" in page and "Recipient versions" not in page
    form = _form(page, email=NEW, line1="14 Harbour Street, Flat 3", reason="The customer called: new address")
    path = f"/console/parcels/{number}/recipient"
    assert client.post(path, data={**form, "csrf_token": ""}, follow_redirects=False).status_code == 403
    done = client.post(path, data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/console/parcels/{number}?done=recipient#timeline"
    assert client.post(path, data=form, follow_redirects=False).status_code == 303  # submitted twice: one version

    # The detail page and its JSON: both versions, the newest current, the order holding it.
    shown = client.get(done.headers["location"]).text
    assert "Recipient corrected." in shown and "Version 2</strong> (current)" in shown and "Version 1" in shown
    assert NEW in shown and OLD in shown  # the new address, and the old one in version 1
    document = client.get(f"/api/v1/parcels/{number}/timeline").json()
    assert document["order"]["customer"]["email"] == NEW
    assert document["order"]["destination"]["line1"] == "14 Harbour Street, Flat 3"
    v1, v2 = document["recipient_versions"]
    assert (v1["version"], v1["by"], v1["changed"], v1["customer"]["email"]) == (1, None, [], OLD)
    assert (v2["version"], v2["by"]["name"], v2["reason"]) == (2, "ops@example.com", "The customer called: new address")
    assert v2["changed"] == ["customer.email", "destination.line1"] and v2["customer"]["email"] == NEW
    actions = [e for e in document["timeline"] if e["kind"] == "action" and e["action"] == "order.recipient_corrected"]
    assert len(actions) == 1 and actions[0]["detail"]["changed"] == ["customer.email", "destination.line1"]
    assert NEW not in str(actions[0]) and OLD not in str(actions[0])  # names of fields, never their values
    log = client.get("/api/v1/audit-log", params={"action": "order.recipient_corrected"}, headers=auth(admin))
    assert [(e["order_number"], e["tracking_number"]) for e in log.json()["entries"]] == [("A-1", number)]

    # The next email goes to the corrected address (a real SMTP server), the old one gets nothing more.
    body = scan_body(number, "out_for_delivery", at=datetime.now(UTC) - timedelta(minutes=5))
    assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
    (subject,) = wait_for(lambda: _subjects(smtp_server, NEW), what="the out-for-delivery email")
    assert "out for delivery" in subject
    assert len(smtp_server.to(OLD)) == before

    # A viewer sees that it was corrected, by whom and why, but no address.
    with TestClient(create_app(settings), base_url="http://testserver") as viewer:
        staff_user(viewer, run_services, settings, "look@example.com", "viewer", "Shop A")
        page = viewer.get(f"/console/parcels/{number}").text
        assert "Version 2" in page and "customer.email" in page
        assert NEW not in page and OLD not in page and "Correct the recipient" not in page
        versions = viewer.get(f"/api/v1/parcels/{number}/timeline").json()["recipient_versions"]
        assert [v["version"] for v in versions] == [1, 2] and all("customer" not in v for v in versions)


def test_after_delivery_a_correction_is_refused_and_keys_retry_safely(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings,
    smtp_server: SmtpServer,
) -> None:  # fmt: skip
    shop, theirs, scanner = (
        make_key("merchant", merchant="Shop A"),
        make_key("merchant", merchant="Shop B"),
        make_key("scanner"),
    )
    number = _order(client, shop, scanner, "A-1")
    path = "/api/v1/orders/A-1/recipient"
    body = {"reason": "Typo in the email", "customer": {"email": NEW}}
    headers = {**auth(shop), "Idempotency-Key": "fix-1"}
    first = client.post(path, json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["changed"] is True and first.json()["version"]["version"] == 2
    again = client.post(path, json=body, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["version"] == first.json()["version"]
    other = client.post(path, json={**body, "reason": "Other"}, headers=headers)
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    same = client.post(path, json=body, headers=auth(shop))  # no key, nothing new: nothing recorded
    assert same.status_code == 200 and same.json() == {"order_number": "A-1", "changed": False, "version": None}

    bad = client.post(path, json={"reason": "x", "customer": {"email": "not-an-email"}, "destination": {"city": " "}},
                      headers=auth(shop))  # fmt: skip
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"customer.email", "destination.city"}
    assert client.post(path, json=body, headers=auth(theirs)).status_code == 404
    assert client.post(path, json=body, headers=auth(scanner)).status_code == 403
    with TestClient(create_app(settings), base_url="http://testserver") as support:
        staff_user(support, run_services, settings, "help@example.com", "support", "Shop A")
        page = support.get(f"/console/parcels/{number}").text
        assert "Correct the recipient" not in page
        refused = support.post(path, json=body, headers={"X-CSRF-Token": csrf_of(page)})
        assert refused.status_code == 403

    delivered = scan_body(number, "delivered", at=datetime.now(UTC) - timedelta(minutes=1))
    assert client.post("/api/v1/scans", json=delivered, headers=auth(scanner)).status_code == 201
    late = client.post(path, json={"reason": "Too late", "customer": {"email": "late@example.com"}}, headers=auth(shop))
    assert late.status_code == 409 and late.headers["content-type"] == "application/problem+json"
    assert late.json()["errors"][0]["field"] == "order_number" and "delivered" in late.json()["detail"]
    document = client.get(f"/api/v1/parcels/{number}/timeline", headers=auth(shop)).json()
    assert document["order"]["customer"]["email"] == NEW  # nothing changed
    assert [v["version"] for v in document["recipient_versions"]] == [1, 2]
    actions = [e for e in document["timeline"] if e["kind"] == "action" and e["action"] == "order.recipient_corrected"]
    assert len(actions) == 1
