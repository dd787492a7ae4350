"""The scanner station in a real Chromium against a real server: pairing, keyboard scans, offline queue,
distinct feedback, the driver's proof and failed attempts, undo, and screenshots.
"""

from __future__ import annotations

import base64
import os
import random
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

from ordertrail.domain.tracking import tracking_number as tn
from tests.conftest import ROOT, ServerProcess, auth, order_body, scan_body, start_server
from tests.integration.labels_fixtures import decode, rasterize
from tests.support.browser import launch, page_problems

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.store_independent]

TIMEZONE = "Asia/Kolkata"  # +05:30: an offset that cannot be confused with UTC or a whole-hour zone
OFFSET = "+05:30"


class Shop:
    """The server, a merchant key and an admin key, and a way to place orders and move parcels."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        assert server.cli("merchants", "create", "Station Shop").returncode == 0
        self.merchant = self._key("create", "--role", "merchant", "--name", "shop", "--merchant", "Station Shop")
        self.scanner = self._key("create", "--role", "scanner", "--name", "setup")
        # The module's client sits idle while the browser works; a server may close an idle kept-alive connection
        # just as a client reuses it (a race HTTP allows): a connection per request keeps that out of these tests.
        self.http = httpx.Client(base_url=server.base_url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0))

    def _key(self, *args: str) -> str:
        result = self.server.cli("keys", *args)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def pairing_code(self, name: str, facility: str | None = None, merchant: str | None = None) -> str:
        args = ["keys", "pair", "--name", name] + (["--facility", facility] if facility else [])
        args += ["--merchant", merchant] if merchant else []
        result = self.server.cli(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def order(self, parcels: int = 1, **overrides: Any) -> dict[str, Any]:
        body = order_body(parcels=[{"weight_grams": 500 + i} for i in range(parcels)], **overrides)
        response = self.http.post("/api/v1/orders", json=body, headers=auth(self.merchant))
        assert response.status_code == 201, response.text
        document: dict[str, Any] = response.json()
        return document

    def move(self, number: str, *statuses: str) -> None:
        at = datetime.now(UTC) - timedelta(hours=len(statuses) + 1)
        for i, status in enumerate(statuses):
            body = scan_body(number, status, at=at + timedelta(hours=i))
            response = self.http.post("/api/v1/scans", json=body, headers=auth(self.scanner))
            assert response.status_code == 201, response.text

    def events(self, order_number: str) -> dict[str, list[dict[str, Any]]]:
        """Each parcel's events, by tracking number (the merchant's private view)."""
        response = self.http.get(f"/api/v1/orders/{order_number}", headers=auth(self.merchant))
        assert response.status_code == 200
        return {p["tracking_number"]: p["events"] for p in response.json()["parcels"]}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None) -> Iterator[Shop]:
    server = start_server(tmp_path_factory.mktemp("station") / "data", database_url=module_database_url)
    try:
        shop = Shop(server)
        yield shop
        shop.http.close()
    finally:
        server.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 800},
        timezone_id=TIMEZONE,
        geolocation={"latitude": 53.7997, "longitude": -1.5492},
        permissions=["geolocation"],
    )
    yield ctx
    ctx.close()


def pair(
    page: Page, shop: Shop, *, name: str = "Bench 1", facility: str | None = "Leeds DC", merchant: str | None = None
) -> None:
    """Open the station, pair it with a fresh code from the CLI, and wait until it works offline too."""
    code = shop.pairing_code(name, facility, merchant)
    page.goto(f"{shop.server.base_url}/scan")
    page.fill("#pair-code", code)
    page.click("#pair-form button[type=submit]")
    expect(page.locator("#station")).to_be_visible()
    expect(page.locator("#device-name")).to_have_text(name)
    # Waited for inside the page, not by polling a predicate: Playwright polls a string predicate with eval, which
    # the station's CSP (no 'unsafe-eval') refuses whenever the worker is not in control at the first look.
    page.evaluate(
        """() => navigator.serviceWorker.controller !== null || new Promise((resolve) =>
             navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true), { once: true }))"""
    )


def choose(page: Page, mode: str) -> None:
    page.click(f"#modes [data-mode={mode}]")
    expect(page.locator(f"#modes [data-mode={mode}]")).to_have_attribute("aria-checked", "true")


def scan(page: Page, text: str) -> None:
    """What a keyboard-wedge scanner does: type the characters, then Enter, into whatever has focus."""
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def banner(page: Page) -> Any:
    return page.locator("#banner")


def test_pair_then_three_keyboard_scans_are_stored_with_the_keys_facility(context: BrowserContext, shop: Shop) -> None:
    page = context.new_page()
    errors = page_problems(page, console_errors=False)
    order = shop.order(parcels=3)
    numbers = [p["tracking_number"] for p in order["parcels"]]
    pair(page, shop)
    choose(page, "packed")
    for position, number in enumerate(numbers, start=1):
        scan(page, number)
        expect(banner(page)).to_have_attribute("data-kind", "ok")
        expect(page.locator("#banner-title")).to_have_text("PACKED ✓")
        expect(page.locator("#banner-parcel")).to_contain_text(f"Order {order['order_number']}")
        expect(page.locator("#banner-parcel")).to_contain_text(f"parcel {position} of 3")
        expect(page.locator("#banner-parcel")).to_contain_text("London")
    expect(page.locator("#today-count")).to_have_text("3")
    expect(page.locator("#waiting-count")).to_have_text("0")
    events = shop.events(order["order_number"])
    for number in numbers:
        packed = [e for e in events[number] if e["status"] == "packed"]
        assert len(packed) == 1
        assert packed[0]["location"]["facility"] == "Leeds DC"
        assert packed[0]["occurred_at"].endswith(OFFSET)
    assert errors == []


def test_scanned_today_counts_only_scans_the_server_applied(context: BrowserContext, shop: Shop) -> None:
    page = context.new_page()
    order = shop.order(parcels=2)
    delivered, fresh = (p["tracking_number"] for p in order["parcels"])
    shop.move(delivered, "dispatched", "out_for_delivery", "delivered")
    pair(page, shop, name="Bench count")
    choose(page, "packed")
    scan(page, fresh)
    expect(page.locator("#banner-title")).to_have_text("PACKED ✓")
    expect(page.locator("#today-count")).to_have_text("1")
    scan(page, delivered)  # packing a delivered parcel: kept in the log, not applied
    expect(page.locator("#banner-title")).to_have_text("UNUSUAL STEP — NOT APPLIED")
    expect(page.locator("#recent li").first).to_have_attribute("data-outcome", "created")
    expect(page.locator("#today-count")).to_have_text("1")
    page.reload()  # the count comes from the device's stored history: still only the applied scan
    expect(page.locator("#station")).to_be_visible()
    expect(page.locator("#today-count")).to_have_text("1")


def test_offline_scans_survive_a_reload_and_are_stored_once_when_back_online(
    context: BrowserContext, shop: Shop
) -> None:
    page = context.new_page()
    errors = page_problems(page, console_errors=False)
    order = shop.order(parcels=5)
    numbers = [p["tracking_number"] for p in order["parcels"]]
    for number in numbers:
        shop.move(number, "packed")
    pair(page, shop, name="Dock door", facility=None)
    choose(page, "dispatched")

    context.set_offline(True)
    expect(page.locator("#net")).to_have_attribute("data-state", "offline")
    scanned_from = datetime.now(UTC)
    for number in numbers:
        scan(page, number)
        expect(page.locator("#banner-title")).to_have_text("SAVED — DISPATCHED")
    scanned_until = datetime.now(UTC)
    expect(page.locator("#waiting-count")).to_have_text("5")
    assert all(
        not [e for e in evs if e["status"] == "dispatched"] for evs in shop.events(order["order_number"]).values()
    )

    page.reload()  # still offline: the service worker serves the page, IndexedDB still holds the queue
    expect(page.locator("#station")).to_be_visible()
    expect(page.locator("#net")).to_have_attribute("data-state", "offline")
    expect(page.locator("#waiting-count")).to_have_text("5")
    expect(page.locator("#recent [data-outcome=pending]")).to_have_count(5)
    assert all(
        not [e for e in evs if e["status"] == "dispatched"] for evs in shop.events(order["order_number"]).values()
    )

    context.set_offline(False)
    expect(page.locator("#waiting-count")).to_have_text("0", timeout=20000)
    expect(page.locator("#recent [data-outcome=created]")).to_have_count(5)
    events = shop.events(order["order_number"])
    shown_ids = page.eval_on_selector_all(
        "#recent [data-outcome=created]", "items => items.map(i => i.dataset.eventId)"
    )
    stored_ids = []
    for number in numbers:
        dispatched = [e for e in events[number] if e["status"] == "dispatched"]
        assert len(dispatched) == 1, dispatched
        occurred = datetime.fromisoformat(dispatched[0]["occurred_at"])
        assert dispatched[0]["occurred_at"].endswith(OFFSET)
        # The time of the scan on the device, not of the upload.
        assert scanned_from - timedelta(seconds=1) <= occurred <= scanned_until + timedelta(seconds=1)
        stored_ids.append(dispatched[0]["event_id"])
    assert sorted(stored_ids) == sorted(shown_ids)
    assert errors == []


def test_invalid_check_character_unknown_number_and_duplicates_get_distinct_feedback(
    context: BrowserContext, shop: Shop
) -> None:
    page = context.new_page()
    order = shop.order(parcels=2)
    first, second = (p["tracking_number"] for p in order["parcels"])
    shop.move(second, "packed")  # packed at another bench, 2 h ago
    pair(page, shop, name="Bench 2")
    choose(page, "packed")

    wrong = first[:-1] + next(c for c in tn.ALPHABET if c != first[-1])
    scan(page, wrong)
    expect(banner(page)).to_have_attribute("data-kind", "invalid-check")
    expect(page.locator("#banner-title")).to_have_text("CHECK CHARACTER WRONG")
    expect(page.locator("#waiting-count")).to_have_text("0")

    scan(page, first)
    expect(banner(page)).to_have_attribute("data-kind", "ok")
    scan(page, first)  # scanned twice on this bench
    expect(banner(page)).to_have_attribute("data-kind", "duplicate")
    expect(page.locator("#banner-title")).to_have_text("ALREADY PACKED")
    expect(page.locator("#banner-detail")).to_contain_text("just now")

    scan(page, second)  # packed elsewhere: recorded, but flagged
    expect(banner(page)).to_have_attribute("data-kind", "duplicate")
    expect(page.locator("#banner-detail")).to_contain_text("packed 2 h ago")

    unknown = tn.generate()
    scan(page, unknown)
    expect(banner(page)).to_have_attribute("data-kind", "unmatched")
    expect(page.locator("#banner-title")).to_have_text("UNKNOWN NUMBER")

    events = shop.events(order["order_number"])
    assert len([e for e in events[first] if e["status"] == "packed"]) == 1
    unmatched = shop.http.get("/api/v1/unmatched-scans", headers=auth(admin_key(shop))).json()["unmatched_scans"]
    assert [u["tracking_number"] for u in unmatched if u["tracking_number"] in (unknown, wrong)] == [unknown]


def admin_key(shop: Shop) -> str:
    if not hasattr(shop, "admin"):
        shop.admin = shop._key("create", "--role", "admin", "--name", "ops")  # type: ignore[attr-defined]
    return shop.admin  # type: ignore[attr-defined,no-any-return]


def test_a_packing_bench_prints_its_merchants_labels_and_says_the_list_needs_a_connection_offline(
    context: BrowserContext, shop: Shop, tmp_path: Path
) -> None:
    """A station paired with a merchant shows that merchant's labels to print; "Print these" downloads one PDF of
    exactly them (read back by a real decoder) and the console's list has them printed by the device."""
    assert shop.server.cli("merchants", "create", "Bench Shop").returncode == 0
    merchant = shop._key("create", "--role", "merchant", "--name", "bench shop", "--merchant", "Bench Shop")
    numbers = []
    for _ in range(2):
        placed = shop.http.post("/api/v1/orders", json=order_body(), headers=auth(merchant))
        assert placed.status_code == 201, placed.text
        numbers.append(placed.json()["parcels"][0]["tracking_number"])
    page = context.new_page()
    errors = page_problems(page, console_errors=False)
    pair(page, shop, name="Bench labels", merchant="Bench Shop")
    page.get_by_role("button", name="Labels to print").click()
    rows = page.locator("#labels-list .label-row")
    expect(rows).to_have_count(2)
    assert rows.evaluate_all("items => items.map(i => i.dataset.trackingNumber)") == numbers  # Bench Shop's alone
    expect(page.locator("#labels-state")).to_have_text("2 labels to print.")

    with page.expect_download() as download:
        page.get_by_role("button", name="Print these 2 labels").click()
    pdf = Path(download.value.path()).read_bytes()
    codes = [c for image in rasterize(pdf, tmp_path, dpi=203, mono=True) for c in decode(image).get("Code128", [])]
    assert codes == numbers
    expect(page.locator("#labels-state")).to_contain_text("marked printed. Nothing to print")
    expect(rows).to_have_count(0)
    listed = shop.http.get("/api/v1/labels/to-print", headers=auth(merchant)).json()["items"]
    assert listed == []  # the console's list: printed
    log = shop.http.get("/api/v1/audit-log", headers=auth(admin_key(shop))).json()["entries"]
    printed = sorted((e["tracking_number"], e["actor"]["name"]) for e in log if e["action"] == "parcel.label_printed")
    assert [p for p in printed if p[0] in numbers] == sorted((n, "Bench labels") for n in numbers)

    # Offline the list is not shown from anywhere: it says it needs a connection (scans are still queued).
    context.set_offline(True)
    expect(page.locator("#labels-state")).to_contain_text("Offline: the labels to print need a connection")
    page.get_by_role("button", name="Refresh the list").click()
    expect(page.locator("#labels-state")).to_contain_text("Offline: the labels to print need a connection")
    expect(page.locator("#labels-print")).to_be_hidden()
    context.set_offline(False)
    expect(page.locator("#labels-state")).to_have_text("Nothing to print: every parcel has its label.")
    assert errors == []


def test_undo_records_a_correction_that_voids_the_last_scan(context: BrowserContext, shop: Shop) -> None:
    page = context.new_page()
    order = shop.order()
    number = order["parcels"][0]["tracking_number"]
    pair(page, shop, name="Bench 3")
    choose(page, "processing")
    scan(page, number)
    expect(banner(page)).to_have_attribute("data-kind", "ok")
    page.click("#undo")
    expect(page.locator("#undo")).to_contain_text("Tap again")
    page.click("#undo")
    expect(banner(page)).to_have_attribute("data-kind", "undone")
    # The banner comes once the correction is queued on the device; the server's answer follows.
    undo_entry = page.locator("#recent li").first
    expect(undo_entry.locator(".recent-what")).to_have_text("Undo")
    expect(undo_entry).to_have_attribute("data-outcome", "created")
    expect(page.locator("#waiting-count")).to_have_text("0")
    expect(page.locator("#today-count")).to_have_text("0")
    events = shop.events(order["order_number"])[number]
    processing = next(e for e in events if e["status"] == "processing")
    correction = next(e for e in events if e["status"] == "correction")
    assert correction["voids_event_id"] == processing["event_id"]
    public = shop.http.get(f"/api/v1/tracking/{number}").json()
    assert public["status"] == "order_placed"


def test_driver_records_a_delivery_with_proof_and_a_failed_attempt_and_the_public_sees_neither_proof_nor_names(
    context: BrowserContext, shop: Shop
) -> None:
    page = context.new_page()
    errors = page_problems(page, console_errors=False)
    order = shop.order(parcels=3, customer={"name": "Ada Lovelace", "email": "ada@example.com"})
    delivered_tn, attempted_tn, skipping_tn = (p["tracking_number"] for p in order["parcels"])
    shop.move(delivered_tn, "packed", "dispatched", "in_transit", "out_for_delivery")
    shop.move(attempted_tn, "packed", "dispatched", "in_transit", "out_for_delivery")
    shop.move(skipping_tn, "packed", "dispatched", "in_transit")
    pair(page, shop, name="Van 12", facility=None)

    choose(page, "delivered")
    scan(page, skipping_tn)  # delivered without out for delivery: delivered mode blocks it by default
    expect(banner(page)).to_have_attribute("data-kind", "blocked")
    expect(page.locator("#banner-action")).to_be_visible()

    scan(page, delivered_tn)
    expect(page.locator("#proof-sheet")).to_be_visible()
    expect(page.locator("#geo-state")).to_contain_text("53.7997")
    page.fill("#recipient", "Grace Hopper")
    box = page.locator("#signature").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 30, box["y"] + 120)
    page.mouse.down()
    for step in range(1, 30):
        page.mouse.move(box["x"] + 30 + step * 12, box["y"] + 120 - (step % 7) * 12)
    page.mouse.up()
    page.click("#proof-form button[type=submit]")
    expect(page.locator("#proof-sheet")).to_be_hidden()
    expect(banner(page)).to_have_attribute("data-kind", "ok")
    expect(page.locator("#banner-title")).to_have_text("DELIVERED ✓")

    choose(page, "attempted")
    scan(page, attempted_tn)
    expect(page.locator("#reason-sheet")).to_be_visible()
    page.click("#reasons [data-reason=nobody_home]")
    expect(banner(page)).to_have_attribute("data-kind", "ok")
    expect(page.locator("#banner-title")).to_have_text("FAILED ATTEMPT ✓")

    events = shop.events(order["order_number"])
    delivered = next(e for e in events[delivered_tn] if e["status"] == "delivered")
    assert delivered["proof"]["recipient_name"] == "Grace Hopper"
    signature = base64.b64decode(delivered["proof"]["signature_png_base64"])
    assert signature.startswith(b"\x89PNG\r\n\x1a\n") and len(signature) > 500
    assert (delivered["location"]["lat"], delivered["location"]["lon"]) == (53.7997, -1.5492)
    attempt = next(e for e in events[attempted_tn] if e["status"] == "delivery_attempted")
    assert attempt["reason"] == "nobody_home"
    assert not [e for e in events[skipping_tn] if e["status"] == "delivered"]

    for number in (delivered_tn, attempted_tn):
        public = shop.http.get(f"/api/v1/tracking/{number}")
        assert public.status_code == 200
        for secret in ("Grace Hopper", "Ada Lovelace", "proof", "signature", "recipient", "53.7997", "1.5492"):
            assert secret not in public.text, secret
    assert shop.http.get(f"/api/v1/tracking/{delivered_tn}").json()["status"] == "delivered"
    assert shop.http.get(f"/api/v1/tracking/{attempted_tn}").json()["events"][-1]["reason"] == "nobody_home"
    assert errors == []


def test_the_pages_check_character_agrees_with_the_server(context: BrowserContext, shop: Shop) -> None:
    page = context.new_page()
    page.goto(f"{shop.server.base_url}/scan")
    rng = random.Random(4)
    samples = [tn.generate(rng.randrange) for _ in range(300)]
    mutated = []
    for number in samples[:300]:
        chars = list(number)
        i = rng.randrange(2, len(chars))
        chars[i] = rng.choice(tn.ALPHABET + "OIL")
        mutated.append("".join(chars))
        j = rng.randrange(2, len(chars) - 1)
        chars[j], chars[j + 1] = chars[j + 1], chars[j]
        mutated.append("".join(chars))
    odd = ["", "ot 1234-5678-90k", "OTABC", "XX1MAJXF0MYSN", "OT1MAJXF0MYSU", "ot1majxf0mysn", "OTO1LIO1LIO1L"]
    cases = samples + mutated + odd
    verdicts = page.evaluate(
        """async (cases) => {
            const m = await import('/scan/static/tracking-number.js');
            return cases.map((c) => { const r = m.normalize(c); return r.ok ? r.number : null; });
        }""",
        cases,
    )
    expected = [tn.normalize(c) if tn.is_valid(c) else None for c in cases]
    assert verdicts == expected
    assert sum(v is None for v in verdicts) > 200  # the mutations were mostly caught


def test_the_page_has_no_inline_script_or_style_and_the_camera_falls_back_to_the_server(
    context: BrowserContext, shop: Shop
) -> None:
    response = shop.http.get("/scan")
    html = response.text
    assert "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag
    page = context.new_page()
    page.goto(f"{shop.server.base_url}/scan")
    # Debian's Chromium on Linux has no BarcodeDetector: that is why frames go to POST /api/v1/decode.
    assert page.evaluate("'BarcodeDetector' in window") is False


def test_screenshots_phone_and_desktop(browser: Browser, shop: Shop, tmp_path: Path) -> None:
    order = shop.order(
        parcels=2, destination={"line1": "1 Quay St", "city": "Manchester", "postal_code": "M3 3HN", "country": "GB"}
    )
    numbers = [p["tracking_number"] for p in order["parcels"]]
    shots = {"station-desktop.png": {"width": 1280, "height": 800}, "station-phone.png": {"width": 390, "height": 844}}
    for name, viewport in shots.items():
        ctx = browser.new_context(viewport=viewport, timezone_id=TIMEZONE, device_scale_factor=1)
        try:
            page = ctx.new_page()
            pair(page, shop, name="Packing bench 4", facility="Leeds DC")
            choose(page, "packed")
            scan(page, numbers[0][:-1] + ("2" if numbers[0][-1] != "2" else "3"))
            expect(banner(page)).to_have_attribute("data-kind", "invalid-check")
            scan(page, numbers[0])
            expect(banner(page)).to_have_attribute("data-kind", "ok")
            scan(page, numbers[1])
            expect(page.locator("#banner-parcel")).to_contain_text("parcel 2 of 2")
            expect(banner(page)).to_have_attribute("data-kind", "ok")
            expect(page.locator("#today-count")).to_have_text("2")
            page.evaluate("document.activeElement.blur()")
            path = tmp_path / name
            page.screenshot(path=str(path), animations="disabled")
            assert path.stat().st_size > 10_000
            if os.environ.get("ORDERTRAIL_UPDATE_SCREENSHOTS"):
                target = ROOT / "docs" / "screenshots" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        finally:
            ctx.close()
        numbers = [p["tracking_number"] for p in shop.order(parcels=2)["parcels"]]


def y4m_of_label(text: str, path: Path) -> None:
    """A short Y4M video (what Chromium's fake camera plays) of a Code 128 label, drawn by zxing-cpp."""
    import zxingcpp
    from PIL import Image

    drawn = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128).to_image(scale=3)
    symbol = Image.frombuffer("L", (drawn.shape[1], drawn.shape[0]), bytes(memoryview(drawn)), "raw", "L", 0, 1)
    width, height = 640, 480
    frame = Image.new("L", (width, height), 235)
    frame.paste(symbol, ((width - symbol.width) // 2, (height - symbol.height) // 2))
    y = frame.tobytes()
    chroma = bytes([128]) * (width // 2 * height // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            out.write(b"FRAME\n" + y + chroma + chroma)


def test_camera_scanning_without_barcode_detector_reads_frames_on_the_server(
    playwright: Playwright, shop: Shop, tmp_path: Path
) -> None:
    order = shop.order()
    number = order["parcels"][0]["tracking_number"]
    video = tmp_path / "label.y4m"
    y4m_of_label(number, video)
    camera_args = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    chromium = launch(playwright, *camera_args)
    try:
        ctx = chromium.new_context(timezone_id=TIMEZONE, permissions=["camera"])
        page = ctx.new_page()
        pair(page, shop, name="Dock phone")
        assert page.evaluate("'BarcodeDetector' in window") is False
        choose(page, "packed")
        page.click("#open-camera")
        expect(page.locator("#camera-state")).to_contain_text("read by the server")
        expect(banner(page)).to_have_attribute("data-kind", "ok", timeout=15000)
        expect(page.locator("#banner-detail")).to_have_text(tn.display(number))
        page.click("#camera-sheet .close-sheet")
        ctx.close()
    finally:
        chromium.close()
    packed = [e for e in shop.events(order["order_number"])[number] if e["status"] == "packed"]
    assert len(packed) == 1


STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def test_the_station_works_under_a_strict_content_security_policy(browser: Browser, shop: Shop) -> None:
    ctx = browser.new_context(service_workers="block", timezone_id=TIMEZONE)
    try:
        page = ctx.new_page()
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        errors = page_problems(page, console_errors=False)

        def with_csp(route: Any) -> None:
            response = route.fetch()
            route.fulfill(response=response, headers={**response.headers, "content-security-policy": STRICT_CSP})

        page.route(f"{shop.server.base_url}/scan", with_csp)
        number = shop.order()["parcels"][0]["tracking_number"]
        page.goto(f"{shop.server.base_url}/scan")
        page.fill("#pair-code", shop.pairing_code("CSP bench"))
        page.click("#pair-form button[type=submit]")
        expect(page.locator("#station")).to_be_visible()
        choose(page, "processing")
        scan(page, number)
        expect(banner(page)).to_have_attribute("data-kind", "ok")
        assert violations == [] and errors == []
    finally:
        ctx.close()
