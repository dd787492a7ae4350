"""The bulk label form (/labels) in a real Chromium against a real server: sign in with a merchant key, print many
orders into one PDF (checked with poppler and zxing-cpp), the API's errors in plain words, and a screenshot.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import ROOT, ServerProcess, auth, order_body, start_server
from tests.integration.labels_fixtures import decode, pdf_info, rasterize
from tests.support.browser import page_problems

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.store_independent]

A6_POINTS = (297.638, 419.528)
KEY_STORE = "ordertrail.labels.key"


class Shop:
    """The server with a merchant ("Label Shop"), a scanner key, and a way to place orders."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        assert server.cli("merchants", "create", "Label Shop").returncode == 0
        self.merchant = self._key("--role", "merchant", "--name", "packing office", "--merchant", "Label Shop")
        self.scanner = self._key("--role", "scanner", "--name", "bench 2")
        self.http = server.http()

    def _key(self, *args: str) -> str:
        result = self.server.cli("keys", "create", *args)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def order(self, parcels: int = 1, **overrides: Any) -> dict[str, Any]:
        body = order_body(parcels=[{"weight_grams": 800 + i} for i in range(parcels)], **overrides)
        response = self.http.post("/api/v1/orders", json=body, headers=auth(self.merchant))
        assert response.status_code == 201, response.text
        document: dict[str, Any] = response.json()
        return document


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None) -> Iterator[Shop]:
    server = start_server(tmp_path_factory.mktemp("labels") / "data", database_url=module_database_url)
    try:
        shop = Shop(server)
        yield shop
        shop.http.close()
    finally:
        server.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    yield ctx
    ctx.close()


def sign_in(page: Page, shop: Shop, key: str) -> None:
    page.goto(f"{shop.server.base_url}/labels")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def signed_in(page: Page, shop: Shop) -> None:
    sign_in(page, shop, shop.merchant)
    expect(page.get_by_label("Order numbers")).to_be_visible()
    expect(page.get_by_label("Order numbers")).to_be_focused()
    expect(page.locator(".js-who-name")).to_have_text("packing office · merchant key")


def test_merchant_prints_three_parcels_of_two_orders_as_one_a6_pdf(
    context: BrowserContext, shop: Shop, tmp_path: Path
) -> None:
    page = context.new_page()
    problems = page_problems(page)
    two, one = shop.order(parcels=2), shop.order(parcels=1)
    numbers = [p["tracking_number"] for p in two["parcels"] + one["parcels"]]
    response = page.goto(f"{shop.server.base_url}/labels")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    signed_in(page, shop)

    # Three numbers as pasted from a spreadsheet and a chat: a line break, a comma, and one repeated.
    page.get_by_label("Order numbers").fill(f"{two['order_number']}\n{one['order_number']}, {two['order_number']}\n")
    expect(page.locator("#order-count")).to_have_text("2 orders (1 repeat left out)")
    page.get_by_label("A6").check()
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Print labels").click()
    download = downloading.value
    assert download.suggested_filename == "labels.pdf"
    expect(page.get_by_role("status")).to_have_text("Labels for 2 orders saved as labels.pdf. Open it to print.")
    expect(page.get_by_role("link", name="Download again")).to_be_visible()

    pdf = Path(download.path()).read_bytes()
    info = pdf_info(pdf, tmp_path)
    assert info["pages"] == 3
    assert info["size"] == pytest.approx(A6_POINTS, abs=0.01)
    pages = rasterize(pdf, tmp_path / "pages", dpi=203, mono=True)  # what a thermal head prints
    assert [decode(image).get("Code128") for image in pages] == [[number] for number in numbers]

    # The key and the layout stay on this device; signing out forgets the key.
    page.reload()
    expect(page.locator(".js-who-name")).to_have_text("packing office · merchant key")
    expect(page.get_by_label("A6")).to_be_checked()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    expect(page.get_by_label("Order numbers")).to_be_hidden()
    assert page.evaluate(f"localStorage.getItem('{KEY_STORE}')") is None
    assert problems == []


def test_unknown_order_number_is_named_and_the_typed_numbers_stay(context: BrowserContext, shop: Shop) -> None:
    page = context.new_page()
    problems = page_problems(page)
    known = shop.order()["order_number"]
    signed_in(page, shop)
    typed = f"{known}\nNOPE-404"
    page.get_by_label("Order numbers").fill(typed)
    page.get_by_role("button", name="Print labels").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("No order 'NOPE-404'. Check or remove these numbers and print again.")
    expect(page.get_by_label("Order numbers")).to_have_value(typed)
    expect(page.get_by_label("Order numbers")).to_be_focused()
    expect(page.get_by_role("status")).to_be_hidden()

    # Fixed in place, the same form prints; the error goes away.
    page.get_by_label("Order numbers").fill(known)
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Print labels").click()
    assert downloading.value.suggested_filename == "labels.pdf"
    expect(alert).to_be_hidden()
    # The API's own 404 for the console is expected; nothing else may go wrong.
    assert [p for p in problems if "404" not in p] == []


def test_checks_before_sending_empty_and_too_many(context: BrowserContext, shop: Shop) -> None:
    page = context.new_page()
    signed_in(page, shop)
    page.get_by_role("button", name="Print labels").click()
    expect(page.get_by_role("alert")).to_have_text("Type or paste at least one order number.")
    page.get_by_label("Order numbers").fill(" ".join(f"B-{i}" for i in range(501)))
    expect(page.locator("#order-count")).to_have_text("501 orders")
    page.get_by_role("button", name="Print labels").click()
    expect(page.get_by_role("alert")).to_have_text(
        "At most 500 orders at once, and there are 501: print them in batches."
    )


def test_a_scanner_key_cannot_sign_in_nor_print(context: BrowserContext, shop: Shop) -> None:
    page = context.new_page()
    sign_in(page, shop, shop.scanner)
    expect(page.get_by_role("alert")).to_have_text(
        "A scanner key cannot print labels: only merchant and admin keys can. Sign in with one of those."
    )
    expect(page.get_by_label("Order numbers")).to_be_hidden()
    sign_in(page, shop, "ot_nonsense")
    expect(page.get_by_role("alert")).to_have_text("That key was not accepted: it is mistyped, unknown or revoked.")

    # A device that still holds a scanner key (stored by hand, or by an older page) gets the API's 403 in words.
    stored = f'{{"key": "{shop.scanner}", "name": "bench 2", "role": "merchant"}}'
    page.evaluate("([name, value]) => localStorage.setItem(name, value)", [KEY_STORE, stored])
    page.reload()
    page.get_by_label("Order numbers").fill(shop.order()["order_number"])
    page.get_by_role("button", name="Print labels").click()
    expect(page.get_by_role("alert")).to_have_text(
        "This key may not print labels: only merchant and admin keys can. Sign out and sign in with one of those."
    )


def test_tablet_fits_and_screenshot(browser: Browser, shop: Shop, tmp_path: Path) -> None:
    numbers = [shop.order(parcels=n)["order_number"] for n in (2, 1, 3)]
    for name, viewport in {"labels-tablet.png": {"width": 768, "height": 1024}, "labels-form.png": None}.items():
        ctx = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, device_scale_factor=1)
        try:
            page = ctx.new_page()
            signed_in(page, shop)
            page.get_by_label("Order numbers").fill("\n".join(numbers) + "\n")
            with page.expect_download():
                page.get_by_role("button", name="Print labels").click()
            expect(page.get_by_role("status")).to_contain_text("Labels for 3 orders")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.evaluate("document.activeElement.blur()")
            path = tmp_path / name
            page.screenshot(path=str(path), full_page=True, animations="disabled")
            assert path.stat().st_size > 10_000
            if viewport is None and os.environ.get("ORDERTRAIL_UPDATE_SCREENSHOTS"):
                target = ROOT / "docs" / "screenshots" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        finally:
            ctx.close()
