"""A real Chromium watches the tracking page and a verified order view update live (and renews the screenshots
when ORDERTRAIL_UPDATE_SCREENSHOTS is set)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import auth, order_body, scan_body, start_server
from tests.integration.test_merchant_logos import put_logo, sample_logo
from tests.support.browser import page_problems, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.store_independent]

LIVE_WITHIN_MS = 2000


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A real server with a merchant key (its shop has a logo and a support contact), a scanner key and an HTTP
    client."""
    server = start_server(tmp_path / "server-data")
    assert server.cli("merchants", "create", "Northwind Ceramics").returncode == 0
    merchant = server.cli("keys", "create", "--role", "merchant", "--name", "shop", "--merchant", "Northwind Ceramics")
    scanner = server.cli("keys", "create", "--role", "scanner", "--name", "hub")
    merchant_key = merchant.stdout.strip().splitlines()[-1]
    with server.http() as http:
        [settings] = http.get("/api/v1/merchants", headers=auth(merchant_key)).json()["merchants"]
        assert put_logo(http, settings["id"], merchant_key, sample_logo(), "image/png").status_code == 200
        contact = {"support_email": "help@northwind.example", "support_url": "https://northwind.example/help"}
        assert http.patch(f"/api/v1/merchants/{settings['id']}", json=contact, headers=auth(merchant_key)).is_success
        yield {
            "server": server,
            "http": http,
            "merchant": merchant_key,
            "scanner": scanner.stdout.strip().splitlines()[-1],
        }
    server.stop()


def scan(shop: dict[str, Any], number: str, status: str, *, minutes_ago: float, city: str, **extra: Any) -> None:
    at = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).astimezone(timezone(timedelta(hours=1)))
    body = scan_body(number, status, at=at, location={"facility": "Hub", "city": city, "country": "GB"}, **extra)
    answer = shop["http"].post("/api/v1/scans", json=body, headers=auth(shop["scanner"]))
    assert answer.status_code == 201, answer.text


def place(shop: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    placed_at = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    answer = shop["http"].post(
        "/api/v1/orders", json=order_body(placed_at=placed_at, **overrides), headers=auth(shop["merchant"])
    )
    assert answer.status_code == 201, answer.text
    document: dict[str, Any] = answer.json()
    return document


def watch(page: Page) -> list[str]:
    """Console errors (a CSP violation shows up here) collected while the test runs."""
    return page_problems(page)


def open_live(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator(".js-live")).to_have_attribute("data-state", "live", timeout=10_000)
    page.evaluate("window.__notReloaded = true")


def test_tracking_page_updates_live_on_phone_and_desktop(browser: Browser, shop: dict[str, Any]) -> None:
    number = place(shop)["parcels"][0]["tracking_number"]
    for minutes, status, city in (
        (2000, "processing", "Stoke-on-Trent"),
        (1900, "packed", "Stoke-on-Trent"),
        (1500, "dispatched", "Stoke-on-Trent"),
    ):
        scan(shop, number, status, minutes_ago=minutes, city=city)
    url = f"{shop['server'].base_url}/t/{number}"

    phone = browser.new_page(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    errors = watch(phone)
    open_live(phone, url)
    expect(phone.locator(".headline")).to_have_text("Dispatched")
    scan(shop, number, "in_transit", minutes_ago=30, city="Manchester", substatus="in_transit.arrived_at_hub")
    expect(phone.locator(".headline")).to_have_text("In transit", timeout=LIVE_WITHIN_MS)
    newest = phone.locator(".js-timeline li").first
    expect(newest).to_contain_text("In transit", timeout=LIVE_WITHIN_MS)
    expect(newest).to_contain_text("Manchester, GB")
    expect(phone.locator('.step[aria-current="step"] .step-label')).to_have_text("In transit")
    assert phone.evaluate("window.__notReloaded") is True
    # The shop's logo loaded (the page's CSP allows it: a violation would be among ``errors``) and its help block.
    expect(phone.get_by_role("img", name="Northwind Ceramics")).to_have_js_property("complete", True)
    assert phone.get_by_role("img", name="Northwind Ceramics").evaluate("img => img.naturalWidth") == 360
    expect(phone.get_by_role("region", name="Need help?")).to_contain_text("help@northwind.example")
    assert len(screenshot(phone, "tracking-phone.png")) > 10_000

    desktop = browser.new_page(viewport={"width": 1280, "height": 800})
    errors += watch(desktop)
    open_live(desktop, url)
    scan(shop, number, "out_for_delivery", minutes_ago=10, city="Manchester")
    scan(shop, number, "delivery_attempted", minutes_ago=2, city="Manchester", reason="nobody_home")
    for page in (desktop, phone):  # both open pages follow along
        expect(page.locator(".headline")).to_have_text("Delivery attempted", timeout=LIVE_WITHIN_MS)
        expect(page.locator(".js-notice")).to_contain_text("nobody was home", timeout=LIVE_WITHIN_MS)
        expect(page.locator(".js-notice")).to_contain_text("tried again")
        expect(page.locator(".js-timeline li").first).to_contain_text("Delivery attempted")
    assert desktop.evaluate("window.__notReloaded") is True
    assert len(screenshot(desktop, "tracking-desktop.png")) > 10_000
    assert errors == []
    phone.close()
    desktop.close()


def test_verified_order_view_with_two_parcels_updates_live(browser: Browser, shop: dict[str, Any]) -> None:
    order = place(shop, parcels=[{"reference": "Stoneware teapot"}, {"reference": "Set of four cups"}])
    first, second = (p["tracking_number"] for p in order["parcels"])
    for minutes, status in ((2000, "processing"), (1900, "packed"), (1500, "dispatched"), (600, "in_transit")):
        scan(shop, first, status, minutes_ago=minutes, city="Birmingham")
    scan(shop, second, "processing", minutes_ago=1800, city="Stoke-on-Trent")

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors = watch(page)
    page.goto(f"{shop['server'].base_url}/")
    page.get_by_label("Order number").fill(order["order_number"])
    page.get_by_label("Email address or postal code").fill("ada@example.com")
    page.get_by_role("button", name="Show my order").click()
    expect(page).to_have_url(re.compile(r"/o/[A-Za-z0-9_-]+$"))
    expect(page.locator(".js-live")).to_have_attribute("data-state", "live", timeout=10_000)
    page.evaluate("window.__notReloaded = true")
    second_card = page.locator(f'[data-tracking-number="{second}"]')
    first_card = page.locator(f'[data-tracking-number="{first}"]')
    expect(second_card.locator(".headline")).to_have_text("Being prepared")

    scan(shop, second, "packed", minutes_ago=5, city="Stoke-on-Trent")
    expect(second_card.locator(".headline")).to_have_text("Packed", timeout=LIVE_WITHIN_MS)
    expect(second_card.locator(".js-timeline li").first).to_contain_text("Packed", timeout=LIVE_WITHIN_MS)
    scan(shop, first, "out_for_delivery", minutes_ago=3, city="London")
    expect(first_card.locator(".headline")).to_have_text("Out for delivery", timeout=LIVE_WITHIN_MS)
    expect(first_card.locator(".js-timeline li").first).to_contain_text("London, GB", timeout=LIVE_WITHIN_MS)
    expect(second_card.locator(".headline")).to_have_text("Packed")  # each card follows its own parcel
    assert page.evaluate("window.__notReloaded") is True
    assert len(screenshot(page, "order-view.png")) > 10_000
    assert errors == []
    page.close()
