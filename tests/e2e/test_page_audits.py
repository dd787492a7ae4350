"""Every public page and the station, checked by real tools: axe-core (0 violations) and a reflow measurement
(nothing wider than the viewport) at 320, 375 and 1280 px in Chromium, and the Nu HTML Checker (0 errors) on
the HTML the server sends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import auth, order_body, scan_body, start_server
from tests.support.audits import axe_violations, overflow, vnu_errors

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    # The pages are the same whichever store is under them: checked once, in the SQLite pass of scripts/test.
    pytest.mark.store_independent,
]

WIDTHS = (320, 375, 1280)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server with an order of two delivered parcels, one parcel held up, and keys of every kind."""
    server = start_server(tmp_path_factory.mktemp("audits") / "data")
    assert server.cli("merchants", "create", "Northwind Ceramics", "--display-name", "Northwind").returncode == 0
    merchant = server.cli("keys", "create", "--role", "merchant", "--name", "shop", "--merchant", "Northwind Ceramics")
    scanner = server.cli("keys", "create", "--role", "scanner", "--name", "hub")
    keys = {"merchant": merchant.stdout.strip().splitlines()[-1], "scanner": scanner.stdout.strip().splitlines()[-1]}
    with server.http() as http:
        placed_at = (datetime.now(UTC) - timedelta(days=3)).isoformat()
        order = http.post(
            "/api/v1/orders",
            json=order_body(placed_at=placed_at, parcels=[{"reference": "Teapot"}, {"reference": "Cups"}]),
            headers=auth(keys["merchant"]),
        ).json()
        numbers = [parcel["tracking_number"] for parcel in order["parcels"]]
        at = datetime.now(UTC) - timedelta(days=2)
        for number in numbers:
            for hours, status in enumerate(("processing", "packed", "dispatched", "in_transit", "delivered")):
                body = scan_body(number, status, at=at + timedelta(hours=hours * 3))
                assert http.post("/api/v1/scans", json=body, headers=auth(keys["scanner"])).status_code == 201
        held = http.post("/api/v1/orders", json=order_body(placed_at=placed_at), headers=auth(keys["merchant"]))
        held_number = held.json()["parcels"][0]["tracking_number"]
        for hours, status in enumerate(("processing", "dispatched", "out_for_delivery")):
            body = scan_body(held_number, status, at=at + timedelta(hours=hours))
            assert http.post("/api/v1/scans", json=body, headers=auth(keys["scanner"])).status_code == 201
        body = scan_body(held_number, "delivery_attempted", at=at + timedelta(hours=5), reason="nobody_home")
        assert http.post("/api/v1/scans", json=body, headers=auth(keys["scanner"])).status_code == 201
        yield {"server": server, "http": http, "order": order, "held": held_number, **keys}
    server.stop()


def _order_view_path(page: Page, site: dict[str, Any]) -> str:
    page.goto(f"{site['server'].base_url}/")
    page.get_by_label("Order number").fill(site["order"]["order_number"])
    page.get_by_label("Email address or postal code").fill("ada@example.com")
    page.get_by_role("button", name="Show my order").click()
    expect(page).to_have_url(re.compile(r"/o/[A-Za-z0-9_-]+$"))
    return "/o/" + page.url.rsplit("/o/", 1)[1]


def _pages(page: Page, site: dict[str, Any]) -> dict[str, str]:
    return {
        "lookup": "/",
        "tracking (delivered)": f"/t/{site['order']['parcels'][0]['tracking_number']}",
        "tracking (attempted)": f"/t/{site['held']}",
        "tracking (not found)": "/t/OTXXXXXXXXXXX",
        "order view": _order_view_path(page, site),
        "link invalid": "/o/not-a-link",
        "unsubscribe (invalid)": "/unsubscribe/not-a-token",
        "labels": "/labels",
        "station (unpaired)": "/scan",
    }


def _pair_station(page: Page, site: dict[str, Any]) -> None:
    code = site["server"].cli("keys", "pair", "--name", "Bench 1").stdout.strip().splitlines()[-1]
    page.goto(f"{site['server'].base_url}/scan")
    page.fill("#pair-code", code)
    page.click("#pair-form button[type=submit]")
    expect(page.locator("#station")).to_be_visible()


def test_every_page_has_no_axe_violation_and_reflows_at_every_width(browser: Browser, site: dict[str, Any]) -> None:
    found: dict[str, list[str]] = {}
    for width in WIDTHS:
        # The test's axe script is not the page's: the page's own CSP stays on for everything else it loads.
        context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
        page = context.new_page()
        pages = _pages(page, site)
        for name, path in pages.items():
            page.goto(site["server"].base_url + path)
            page.wait_for_load_state("load")
            problems = axe_violations(page) + overflow(page)
            if problems:
                found[f"{name} @ {width}px"] = problems
        _pair_station(page, site)
        problems = axe_violations(page) + overflow(page)
        if problems:
            found[f"station (signed in) @ {width}px"] = problems
        context.close()
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_every_page_is_valid_html(browser: Browser, site: dict[str, Any], tmp_path: Path) -> None:
    page = browser.new_page()
    pages = _pages(page, site)
    page.close()
    documents = {name: site["http"].get(path).text for name, path in pages.items()}
    assert vnu_errors(documents, tmp_path) == []
