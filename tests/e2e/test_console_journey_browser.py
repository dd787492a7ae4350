"""Issue 18's console journey in Debian's Chromium against a real `ordertrail serve`, a real SMTP server and a real
webhook receiver: an operations user invited from the command line chooses a password, signs in, opens the parcel
in the exceptions queue, reads its timeline and messages the customer about the delay (the email arrives, the
tracking page and the timeline show it); cancels another order (its tracking page says cancelled, the signed
`parcel.cancelled` webhook arrives); attaches an unmatched scan (it leaves the list and joins the parcel's
timeline); and sends one message to the 20 parcels a filter selects: the preview names those 20, and the same form
posted twice sends 20 emails, not 40."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from standardwebhooks import Webhook

from ordertrail.domain.tracking.tracking_number import generate
from tests.conftest import ServerProcess, auth, order_body, scan_body, start_server, wait_for
from tests.e2e.test_console_browser import choose_password_and_sign_in, table_numbers
from tests.support.browser import page_problems
from tests.support.notify import Receiver, SmtpServer, receiver, settled, smtp_server
from tests.support.staff import FAST_HASHING_ENV

__all__ = ["receiver", "smtp_server"]
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.store_independent]

SHOP = "Northwind Ceramics"
DELAY = "Snow has closed the road to your village.\nWe will bring your parcel on Friday instead."
BULK = "Our warehouse is closed for stocktaking until Monday; your parcel leaves on Tuesday."


class Shop:
    """The served shop: its keys and the orders the journey works on, placed through the API."""

    def __init__(self, server: ServerProcess, http: httpx.Client) -> None:
        self.server, self.http = server, http
        assert server.cli("merchants", "create", SHOP).returncode == 0
        self.merchant = self.cli("keys", "create", "--role", "merchant", "--name", "shop", "--merchant", SHOP)
        self.scanner = self.cli("keys", "create", "--role", "scanner", "--name", "hub")

    def cli(self, *args: str) -> str:
        """Run ``ordertrail``; its last line (a key or an invitation URL is printed alone there)."""
        result = self.server.cli(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def order(self, number: str, email: str, *, in_paris: bool = False) -> str:
        body = order_body(
            order_number=number,
            placed_at=(datetime.now(UTC) - timedelta(hours=5)).isoformat(),
            customer={"name": f"Customer {number}", "email": email},
        )
        if in_paris:  # what the bulk filter selects on
            body["destination"] = {"line1": "8 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}
        response = self.http.post("/api/v1/orders", json=body, headers=auth(self.merchant))
        assert response.status_code == 201, response.text
        tracking_number: str = response.json()["parcels"][0]["tracking_number"]
        return tracking_number

    def scan(self, number: str, status: str, **extra: Any) -> httpx.Response:
        return self.http.post("/api/v1/scans", json=scan_body(number, status, **extra), headers=auth(self.scanner))


@pytest.fixture
def served(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[ServerProcess]:
    env = {
        **FAST_HASHING_ENV,
        "ORDERTRAIL_SMTP_URL": smtp_server.url,
        "ORDERTRAIL_SMTP_FROM": "Parcels <parcels@northwind.example>",
        "ORDERTRAIL_WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver listens on 127.0.0.1, on a port of its own
        "ORDERTRAIL_WEBHOOK_PORTS": "*",
    }
    server = start_server(tmp_path / "data", extra_env=env)
    yield server
    server.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


def _notices(smtp_server: SmtpServer, addresses: set[str]) -> list[EmailMessage]:
    """The customer messages (not confirmations) that reached the SMTP server for ``addresses``."""
    return [
        m for m in smtp_server.messages if str(m["To"]) in addresses and str(m["Subject"]).startswith("A message from")
    ]


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content()).replace("\r\n", "\n")


def _timeline(page: Page, kind: str, *texts: str) -> Any:
    """The timeline entries of ``kind`` that show every one of ``texts``."""
    entries = page.locator(f"#timeline li.timeline-entry[data-kind='{kind}']")
    for text in texts:
        entries = entries.filter(has_text=text)
    return entries


def test_an_operations_user_works_the_queues_messages_cancels_attaches_and_messages_20_parcels_once(
    served: ServerProcess, context: BrowserContext, smtp_server: SmtpServer, receiver: Receiver
) -> None:
    base = served.base_url
    with served.http() as http:
        shop = Shop(served, http)
        hook = http.post(
            "/api/v1/webhook-endpoints",
            json={"url": receiver.url, "event_types": ["parcel.cancelled"]},
            headers=auth(shop.merchant),
        )
        assert hook.status_code == 201, hook.text
        secret = hook.json()["secret"]
        late = shop.order("NW-1", "ada@example.com")
        to_cancel = shop.order("NW-2", "grace@example.com")
        meant = shop.order("NW-3", "alan@example.com")
        bulk = {shop.order(f"NW-FR-{i}", f"fr{i}@example.com", in_paris=True): f"fr{i}@example.com" for i in range(20)}
        assert shop.scan(late, "exception", reason="weather").status_code == 201
        misread = generate()  # a number no parcel has: the scan waits in the unmatched queue
        assert shop.scan(misread, "packed", location={"facility": "Hub North", "country": "GB"}).status_code == 404
    # The order confirmations (and the exception email) are out before the journey, so what arrives later is ours.
    wait_for(lambda: settled(served.database_url), timeout=30, what="the confirmations sent")

    page = context.new_page()
    problems = page_problems(page)
    email = "ops@northwind.example"
    invitation = shop.cli("users", "create", "--email", email, "--role", "operations", "--merchant", SHOP)
    choose_password_and_sign_in(page, invitation, email)

    # The exceptions queue, the parcel in it, its timeline.
    page.get_by_role("link", name="1 Exceptions to handle").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    assert table_numbers(page) == [late]
    page.get_by_role("link", name=late).click()
    expect(page.get_by_role("heading", name=f"Parcel {late}", level=1)).to_be_visible()
    expect(_timeline(page, "scan", "Problem with delivery", "Reason: weather")).to_have_count(1)
    expect(_timeline(page, "scan", "Order placed")).to_have_count(1)

    # A delay notice in the operator's words: emailed, on the timeline, on the tracking page.
    page.get_by_label("Message", exact=True).fill(DELAY)
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("status")).to_have_text("Message sent to the customer.")
    expect(_timeline(page, "action", "parcel.message_sent", f"By {email}")).to_have_count(1)
    (mail,) = wait_for(lambda: _notices(smtp_server, {"ada@example.com"}), timeout=30, what="the delay notice")
    assert str(mail["Subject"]) == f"A message from {SHOP} about your parcel {late}"
    assert DELAY in _text(mail) and email not in _text(mail)  # the shop speaks, not the person
    wait_for(lambda: settled(served.database_url), timeout=30, what="the notice marked delivered")
    page.reload()
    sent_notice = _timeline(page, "email", "To ada@example.com", "Delivered").filter(
        has=page.locator(".timeline-title", has_text=re.compile(r"^message$"))  # the notice's email, not another
    )
    expect(sent_notice).to_have_count(1)
    page.get_by_role("link", name="What the customer sees").click()
    message = page.locator("figure.shop-message")
    expect(message).to_have_count(1)
    expect(message.locator("figcaption")).to_contain_text(f"Message from {SHOP}")
    expect(message.locator("blockquote")).to_have_text(DELAY)
    page.go_back()

    # Cancelling another order (its one parcel): the tracking page and the merchant's webhook follow.
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Parcels").click()
    page.get_by_label("Search").fill("NW-2")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("link", name=to_cancel).click()
    page.get_by_label("Reason", exact=True).fill("The customer asked to cancel")
    page.get_by_role("button", name="Cancel parcel").click()
    expect(page.get_by_role("status")).to_have_text("Parcel cancelled.")
    expect(_timeline(page, "scan", "Cancelled")).to_have_count(1)
    page.get_by_role("link", name="What the customer sees").click()
    expect(page.locator(".headline")).to_have_text("Cancelled")
    (delivery,) = wait_for(receiver.snapshot, timeout=30, what="the cancelled webhook")
    event = Webhook(secret).verify(delivery.body, delivery.headers)
    assert (event["type"], event["data"]["tracking_number"]) == ("parcel.cancelled", to_cancel)

    # The unmatched scan, attached to the parcel it was meant for.
    page.goto(base + "/console")
    page.get_by_role("link", name="1 Unmatched scans").click()
    scan = page.locator("li.unmatched", has_text=misread)
    expect(scan).to_have_count(1)
    scan.get_by_label("Meant for parcel").fill(meant)
    scan.get_by_role("button", name="Attach").click()
    expect(page.get_by_role("status")).to_have_text(f"Scan attached to {meant}.")
    expect(page.locator("li.unmatched")).to_have_count(0)
    expect(page.get_by_text("No unmatched scans")).to_be_visible()
    page.goto(f"{base}/console/parcels/{meant}")
    expect(_timeline(page, "scan", "Packed", "Hub North")).to_have_count(1)

    # A bulk message over a filter of 20 parcels: previewed as 20, posted twice, sent once.
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Parcels").click()
    page.get_by_label("Country").fill("FR")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tbody tr")).to_have_count(20)
    page.get_by_role("link", name="Act on all of these…").click()
    expect(page.get_by_role("heading", name="Act on 20 parcels", level=1)).to_be_visible()
    expect(page.locator(".bulk-numbers li")).to_have_count(20)
    assert sorted(page.locator(".bulk-numbers a").all_inner_texts()) == sorted(bulk)
    page.get_by_label("Message", exact=True).fill(BULK)
    with page.expect_request(lambda r: r.method == "POST" and r.url == f"{base}/console/bulk") as posted:
        page.get_by_role("button", name="Send to 20 customers").click()
    expect(page.get_by_role("heading", name="Done: 20 messages sent", level=1)).to_be_visible()
    done = page.url
    # The same form again, as a second click or a resent request posts it: same session, same idempotency key.
    again = context.request.post(
        f"{base}/console/bulk",
        data=posted.value.post_data_buffer,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": base},
        max_redirects=0,
    )
    assert again.status == 303 and f"{base}{again.headers['location']}" == done
    assert posted.value.post_data is not None and "key=" in posted.value.post_data

    addresses = set(bulk.values())
    wait_for(lambda: len(_notices(smtp_server, addresses)) >= 20, timeout=30, what="20 bulk emails")
    wait_for(lambda: settled(served.database_url), timeout=30, what="the outbox drained")  # nothing more to come
    sent = _notices(smtp_server, addresses)
    assert sorted(str(m["To"]) for m in sent) == sorted(addresses)  # 20, one each: the second post sent nothing
    assert all(BULK in _text(m) for m in sent)
    assert len(receiver.snapshot()) == 1  # the endpoint hears of the cancellation only, once
    page.goto(done)
    expect(page.get_by_role("heading", name="Done: 20 messages sent", level=1)).to_be_visible()
    assert problems == []
