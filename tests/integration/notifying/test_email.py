"""Customer emails through a real SMTP server (aiosmtpd): the lifecycle, links, unsubscribe headers, opt-out."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.settings import Settings
from tests.conftest import auth, scan_body, wait_for
from tests.support.notify import SmtpServer, settled, smtp_server

__all__ = ["smtp_server"]

LIFECYCLE = ["processing", "packed", "dispatched", "in_transit", "out_for_delivery", "delivery_attempted",
             "out_for_delivery", "delivered"]  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="https://track.example.com",
        smtp_url=smtp_server.url,
        smtp_from="Parcels <parcels@example.com>",
        webhook_retry_delays="50ms,50ms,50ms",
    )


def scan_all(client: TestClient, scanner: str, number: str, statuses: list[str], start: datetime) -> None:
    for step, status in enumerate(statuses):
        body = scan_body(number, status, at=start + timedelta(hours=step))
        response = client.post("/api/v1/scans", json=body, headers=auth(scanner))
        assert response.status_code == 201, response.text


def text_of(message: Any, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    content: str = part.get_content()
    return content


def test_lifecycle_emails_with_subjects_links_and_unsubscribe_headers(
    client: TestClient,
    settings: Settings,
    make_order: Callable[..., dict[str, Any]],
    make_key: Callable[..., str],
    smtp_server: SmtpServer,
) -> None:
    placed = datetime.now(UTC) - timedelta(hours=13)
    order = make_order(
        customer={"name": "Ada Lovelace", "email": "ada@example.com"}, parcels=[{}, {}], placed_at=placed.isoformat()
    )
    first, second = (p["tracking_number"] for p in order["parcels"])
    scanner = make_key("scanner")
    scan_all(client, scanner, first, LIFECYCLE, datetime.now(UTC) - timedelta(hours=12))

    expected = [
        f"Your order {order['order_number']} from Test Shop is confirmed",
        "Your parcel from Test Shop is on its way",
        "Your parcel from Test Shop is out for delivery today",
        "We missed you: delivery of your parcel from Test Shop was attempted",
        "Your parcel from Test Shop is out for delivery today",
        "Your parcel from Test Shop has been delivered",
    ]
    wait_for(lambda: len(smtp_server.messages) >= len(expected), timeout=20, what="lifecycle emails")
    messages = smtp_server.messages
    assert [m["Subject"] for m in messages] == expected
    for message in messages:
        assert message["To"] == "ada@example.com"
        assert message["From"].addresses[0].addr_spec == "parcels@example.com"
        assert "Test Shop" in message["From"].addresses[0].display_name
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert re.fullmatch(r"<https://track\.example\.com/unsubscribe/[\w.-]+>", message["List-Unsubscribe"])
        plain, html = text_of(message, "plain"), text_of(message, "html")
        assert "Test Shop" in plain and "Test Shop" in html
        assert f"https://track.example.com/t/{first}" in plain
        assert f'href="https://track.example.com/t/{first}"' in html
    for raw in smtp_server.raw_messages:
        # The header as sent, before any parsing could decode it: one plain <URI>, no RFC 2047 encoded word,
        # and a URL that carries no part of the customer's address.
        headers = raw.split(b"\r\n\r\n", 1)[0].decode("ascii").replace("\r\n", "\n")
        unsubscribe = re.search(r"^List-Unsubscribe: (.*)$", headers, re.MULTILINE)
        assert unsubscribe is not None, headers
        assert re.fullmatch(r"<https://track\.example\.com/unsubscribe/[\w-]+>", unsubscribe.group(1)), headers
        assert "=?" not in unsubscribe.group(1) and "ada" not in unsubscribe.group(1).lower()
        assert re.search(r"^List-Unsubscribe-Post: List-Unsubscribe=One-Click$", headers, re.MULTILINE), headers
    # One confirmation for the whole order, linking both parcels.
    confirmation = text_of(messages[0], "plain")
    assert f"https://track.example.com/t/{second}" in confirmation
    # The reason in the customer's words, never its code ("(nobody home)").
    assert "The driver came, but nobody was home." in text_of(messages[3], "plain")
    assert "nobody_home" not in text_of(messages[3], "plain") and "(nobody home)" not in text_of(messages[3], "html")
    # Every row was delivered, and nothing else was sent.
    rows = wait_for(lambda: settled(settings.resolved_database_url), what="outbox settled")
    assert {r["state"] for r in rows if r["channel"] == "email"} == {"delivered"}
    assert len(smtp_server.messages) == len(expected)


def test_html_is_escaped(
    client: TestClient, make_order: Callable[..., dict[str, Any]], smtp_server: SmtpServer
) -> None:
    make_order(customer={"name": "<script>alert(1)</script>", "email": "eve@example.com"})
    message = wait_for(lambda: smtp_server.to("eve@example.com"), what="confirmation")[0]
    html = text_of(message, "html")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_unsubscribed_customer_gets_no_more(
    client: TestClient,
    settings: Settings,
    make_order: Callable[..., dict[str, Any]],
    make_key: Callable[..., str],
    smtp_server: SmtpServer,
) -> None:
    placed = datetime.now(UTC) - timedelta(hours=6)
    order = make_order(customer={"name": "Bob", "email": "Bob@Example.com"}, placed_at=placed.isoformat())
    number = order["parcels"][0]["tracking_number"]
    confirmation = wait_for(lambda: smtp_server.to("Bob@Example.com"), what="confirmation")[0]
    link = confirmation["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("https://track.example.com")

    page = client.get(path)  # a GET only asks: link scanners must not unsubscribe anyone
    assert page.status_code == 200 and "Unsubscribe" in page.text
    # What a mail client does for RFC 8058 one-click unsubscribe.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200, response.text
    assert client.post(path[:-3] + "xyz", data={"List-Unsubscribe": "One-Click"}).status_code == 422

    scanner = make_key("scanner")
    scan_all(
        client, scanner, number, ["dispatched", "out_for_delivery", "delivered"], datetime.now(UTC) - timedelta(hours=5)
    )
    make_order(customer={"name": "Bob", "email": "bob@example.com"})  # the same address, another order

    url = settings.resolved_database_url
    rows = wait_for(lambda: (r := settled(url)) and len(r) >= 5 and r, what="outbox settled")
    skipped = [
        r for r in rows if r["recipient"] and r["recipient"].lower() == "bob@example.com" and r["state"] == "skipped"
    ]
    assert len(skipped) == 4
    assert {r["last_error"] for r in skipped} == {"the recipient unsubscribed"}
    assert len(smtp_server.to("bob@example.com")) == 1  # the confirmation before unsubscribing, nothing after
