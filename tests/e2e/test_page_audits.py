"""Every public page, the station and the console (signed out, and signed in as an operations user), checked by
real tools: axe-core (0 violations) and a reflow measurement (nothing wider than the viewport) at 320, 375 and
1280 px in Chromium, and the Nu HTML Checker (0 errors) on the HTML the server sends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, expect
from standardwebhooks.webhooks import Webhook

from ordertrail.domain.staff import totp
from tests.conftest import ServerProcess, auth, order_body, scan_body, start_server, wait_for
from tests.integration.couriers.test_carrier_events import event
from tests.integration.test_merchant_logos import SVG, put_logo, sample_logo
from tests.support.audits import axe_violations, overflow, vnu_errors
from tests.support.browser import screenshot
from tests.support.notify import Receiver, receiver
from tests.support.staff import FAST_HASHING_ENV, PASSWORD, choose_password, path_of

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    # The pages are the same whichever store is under them: checked once, in the SQLite pass of scripts/test.
    pytest.mark.store_independent,
]

__all__ = ["receiver"]

WIDTHS = (320, 375, 1280)
SCREENSHOT_WIDTHS = {375: "phone", 1280: "desktop"}
OPERATOR = "ops@northwind.example"
CONSOLE_PAGES = {
    "console overview": "/console",
    "console parcels": "/console/parcels",
    "console parcels (none match)": "/console/parcels?q=nobody%40nowhere.example",
    "console parcels (invalid filter)": "/console/parcels?country=Britain",
    "console parcels (dwelling)": "/console/parcels?dwelling=true",
    "console analytics": "/console/analytics",
    "console audit log": "/console/audit",
    "console webhook endpoints": "/console/webhooks",
    "console bulk preview": "/console/bulk?merchant=Northwind+Ceramics",
    "console unmatched scans": "/console/unmatched",
    "console courier codes": "/console/courier-codes",
    "console labels to print": "/console/labels",
    "console handovers (upload)": "/console/handovers",
}


def _console_pages(site: dict[str, Any]) -> dict[str, str]:
    """The signed-in pages: the fixed ones, and a held-up parcel's detail (its timeline and every action form)."""
    return {
        **CONSOLE_PAGES,
        "console parcel detail": f"/console/parcels/{site['held']}",
        # A parcel of an order of two not yet dispatched: its page also offers to cancel the whole order.
        "console parcel of a waiting order": f"/console/parcels/{site['waiting']}",
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server with an order of two delivered parcels, one parcel held up, keys of every kind, an operations user
    with a password, and an invitation not yet taken up."""
    # Webhooks to a receiver on 127.0.0.1 (the merchant settings pages list its deliveries).
    env = {**FAST_HASHING_ENV, "ORDERTRAIL_WEBHOOK_ALLOW_PRIVATE": "true", "ORDERTRAIL_WEBHOOK_PORTS": "*"}
    server = start_server(tmp_path_factory.mktemp("audits") / "data", extra_env=env)
    assert server.cli("merchants", "create", "Northwind Ceramics", "--display-name", "Northwind").returncode == 0
    merchant = server.cli("keys", "create", "--role", "merchant", "--name", "shop", "--merchant", "Northwind Ceramics")
    scanner = server.cli("keys", "create", "--role", "scanner", "--name", "hub")
    keys = {"merchant": merchant.stdout.strip().splitlines()[-1], "scanner": scanner.stdout.strip().splitlines()[-1]}
    invitations = {email: _invite(server, email) for email in (OPERATOR, "new@northwind.example")}
    with server.http() as http:
        assert choose_password(http, invitations[OPERATOR]).status_code == 303
        # The shop's logo and support contact: the customer pages are audited with both.
        [shop] = http.get("/api/v1/merchants", headers=auth(keys["merchant"])).json()["merchants"]
        assert put_logo(http, shop["id"], keys["merchant"], sample_logo(), "image/png").status_code == 200
        contact = {"support_email": "help@northwind.example", "support_url": "https://northwind.example/help"}
        assert http.patch(f"/api/v1/merchants/{shop['id']}", json=contact, headers=auth(keys["merchant"])).is_success
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
        _unmapped_courier_code(server, http, keys["merchant"], numbers[1], at=at + timedelta(hours=4))
        waiting = http.post(
            "/api/v1/orders",
            json=order_body(placed_at=placed_at, parcels=[{"reference": "Jug"}, {"reference": "Bowl"}]),
            headers=auth(keys["merchant"]),
        )
        waiting_number = waiting.json()["parcels"][0]["tracking_number"]
        yield {
            "server": server,
            "http": http,
            "order": order,
            "held": held_number,
            "waiting": waiting_number,
            "invitation": path_of(invitations["new@northwind.example"]),
            **keys,
        }
    server.stop()


def _unmapped_courier_code(server: ServerProcess, http: Any, merchant: str, number: str, *, at: datetime) -> None:
    """A courier event with a code no mapping knows, on a delivered parcel (late: its status stays): the courier
    codes page shows it with its form."""
    admin = server.cli("keys", "create", "--role", "admin", "--name", "audits").stdout.strip().splitlines()[-1]
    handover = {"courier": "ups", "tracking_number": "1Z5R89390357567127"}
    assert http.post(f"/api/v1/parcels/{number}/handover", json=handover, headers=auth(merchant)).is_success
    made = http.post("/api/v1/courier-integrations", json={"courier": "ups", "name": "UPS"}, headers=auth(admin))
    body = orjson.dumps({"events": [event("u1", "ZZ", at)]})
    signed_at = datetime.now(UTC)
    headers = {
        "webhook-id": "msg_audits",
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": Webhook(made.json()["secret"]).sign("msg_audits", signed_at, body.decode()),
        "content-type": "application/json",
    }
    posted = http.post(f"/api/v1/carrier-events?integration={made.json()['id']}", content=body, headers=headers)
    assert posted.json()["results"][0]["mapped"] is False, posted.text


def _invite(server: ServerProcess, email: str) -> str:
    """An operations account of the shop; ``users create`` prints its invitation URL on the last line."""
    args = ("--email", email, "--role", "operations", "--merchant", "Northwind Ceramics")
    return server.cli("users", "create", *args).stdout.strip().splitlines()[-1]


def _order_view_path(page: Page, site: dict[str, Any]) -> str:
    page.goto(f"{site['server'].base_url}/")
    page.get_by_label("Order number").fill(site["order"]["order_number"])
    page.get_by_label("Email address or postal code").fill("ada@example.com")
    page.get_by_role("button", name="Show my order").click()
    expect(page).to_have_url(re.compile(r"/o/[A-Za-z0-9_-]+$"))
    return "/o/" + page.url.rsplit("/o/", 1)[1]


def _pages(page: Page, site: dict[str, Any]) -> dict[str, str]:
    """The pages anyone can open, without signing in."""
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
        "console sign-in": "/console/login",
        "console invitation": site["invitation"],
        "console invitation (invalid)": "/console/invitation/not-a-token",
    }


def _pair_station(page: Page, site: dict[str, Any]) -> None:
    # A packing bench's device: its labels sheet lists the shop's labels to print.
    args = ("--name", "Bench 1", "--merchant", "Northwind Ceramics")
    code = site["server"].cli("keys", "pair", *args).stdout.strip().splitlines()[-1]
    page.goto(f"{site['server'].base_url}/scan")
    page.fill("#pair-code", code)
    page.click("#pair-form button[type=submit]")
    expect(page.locator("#station")).to_be_visible()


def _sign_in(page: Page, site: dict[str, Any]) -> None:
    page.goto(f"{site['server'].base_url}/console/login")
    page.get_by_label("Email").fill(OPERATOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()


def _audit(page: Page) -> list[str]:
    return axe_violations(page) + overflow(page)


def _context(browser: Browser, width: int) -> BrowserContext:
    # The test's axe script is not the page's: the page's own CSP stays on for everything else it loads.
    return browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)


def test_every_page_has_no_axe_violation_and_reflows_at_every_width(browser: Browser, site: dict[str, Any]) -> None:
    base = site["server"].base_url
    found: dict[str, list[str]] = {}
    for width in WIDTHS:
        context = _context(browser, width)
        page = context.new_page()
        for name, path in _pages(page, site).items():
            page.goto(base + path)
            page.wait_for_load_state("load")
            if problems := _audit(page):
                found[f"{name} @ {width}px"] = problems
        _pair_station(page, site)
        if problems := _audit(page):
            found[f"station (signed in) @ {width}px"] = problems
        page.get_by_role("button", name="Labels to print").click()
        expect(page.locator("#labels-state")).not_to_have_text(re.compile(r"^(Loading…)?$"))
        if problems := _audit(page):
            found[f"station labels to print @ {width}px"] = problems
        _sign_in(page, site)
        for name, path in _console_pages(site).items():
            page.goto(base + path)
            expect(page.get_by_role("navigation", name="Console")).to_be_visible()  # signed in, not sent to sign-in
            if problems := _audit(page):
                found[f"{name} @ {width}px"] = problems
        context.close()
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_every_page_is_valid_html(browser: Browser, site: dict[str, Any], tmp_path: Path) -> None:
    page = browser.new_page()
    documents = {name: site["http"].get(path).text for name, path in _pages(page, site).items()}
    # The signed-in pages as the browser gets them: fetched with the signed-in page's own cookies.
    _sign_in(page, site)
    for name, path in _console_pages(site).items():
        html = page.request.get(site["server"].base_url + path).text()
        assert 'aria-label="Console"' in html, f"{name} was not the signed-in page"
        documents[name] = html
    page.close()
    assert vnu_errors(documents, tmp_path) == []


def test_the_two_step_pages_have_no_axe_violation_reflow_and_are_valid_html(
    browser: Browser, site: dict[str, Any], tmp_path: Path
) -> None:
    """Two-step sign-in's three pages: off, being set up (the key and its link shown), and the code step of
    sign-in (also with its error). Each width turns it on, with codes computed from the key the page shows and
    the real clock (the server accepts one step either side); an admin turns it off between widths."""
    server = site["server"]
    email = "two-step@northwind.example"
    args = ("--email", email, "--role", "viewer", "--merchant", "Northwind Ceramics")
    with server.http() as http:
        invited = server.cli("users", "create", *args).stdout.strip().splitlines()[-1]
        assert choose_password(http, invited).status_code == 303
    documents: dict[str, str] = {}
    found: dict[str, list[str]] = {}
    for width in WIDTHS:
        context = _context(browser, width)
        page = context.new_page()
        _sign_in_as(page, server.base_url, email)
        page.goto(f"{server.base_url}/console/account/two-step")
        documents["two-step (off)"] = page.request.get(page.url).text()
        if problems := _audit(page):
            found[f"two-step (off) @ {width}px"] = problems
        page.get_by_role("button", name="Set up two-step sign-in").click()
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        documents["two-step (pending)"] = page.request.get(page.url).text()
        if problems := _audit(page):
            found[f"two-step (pending) @ {width}px"] = problems
        page.get_by_label("Code from your app").fill(_code_now(secret))
        page.get_by_role("button", name="Turn on two-step sign-in").click()
        expect(page.locator(".notice")).to_contain_text("Two-step sign-in is on")

        page.get_by_role("button", name="Sign out", exact=True).click()
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
        if problems := _audit(page):
            found[f"sign-in code @ {width}px"] = problems
        page.get_by_label("Code").fill("12345")  # not a code: the page says so, and the field points at it
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("not right")
        documents["sign-in code (error)"] = page.content()
        if problems := _audit(page):
            found[f"sign-in code (error) @ {width}px"] = problems
        # The code that turned it on is used; the next step's is later than it whenever this runs (and is inside
        # the server's window of one step either side).
        page.get_by_label("Code").fill(_code_now(secret, steps=1))
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("navigation", name="Console")).to_be_visible()
        context.close()
        # Off again for the next width, as an admin does it.
        assert server.cli("users", "reset-totp", "--email", email).returncode == 0
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert vnu_errors(documents, tmp_path) == []


def test_the_bulk_handover_pages_have_no_axe_violation_reflow_and_are_valid_html(
    browser: Browser, site: dict[str, Any], tmp_path: Path
) -> None:
    """Handing over by CSV as the operations user does it: a refused file with its error, the preview of a file
    with a good line and a refused one, and the result. Each width hands over a parcel of its own."""
    base = site["server"].base_url
    documents: dict[str, str] = {}
    found: dict[str, list[str]] = {}
    for width in WIDTHS:
        placed = site["http"].post("/api/v1/orders", json=order_body(), headers=auth(site["merchant"]))
        number = placed.json()["parcels"][0]["tracking_number"]
        context = _context(browser, width)
        page = context.new_page()
        _sign_in(page, site)
        page.goto(f"{base}/console/handovers")
        page.set_input_files("#handover-file", files=[_csv("bad.csv", "tracking_number,courier\n")])
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_role("alert")).to_contain_text("missing: courier_tracking_number")
        documents["handovers (refused file)"] = page.content()
        if problems := _audit(page):
            found[f"handovers (refused file) @ {width}px"] = problems
        header = "tracking_number,courier,courier_tracking_number"
        rows = f"{header}\n{number},dpd,DPD-{width}\n{number},ups,1Z5R89390357567128\n"  # line 3: a bad check digit
        page.set_input_files("#handover-file", files=[_csv("handovers.csv", rows)])
        page.get_by_role("button", name="Preview").click()
        expect(page.locator("#line-3")).to_contain_text("Line 3: courier_tracking_number")
        documents["handovers (preview)"] = page.content()
        if problems := _audit(page):
            found[f"handovers (preview) @ {width}px"] = problems
        page.get_by_role("button", name="Hand over 1 parcel").click()
        expect(page.locator("#handover-done")).to_contain_text("1 handed over")
        documents["handovers (done)"] = page.content()
        if problems := _audit(page):
            found[f"handovers (done) @ {width}px"] = problems
        context.close()
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert vnu_errors(documents, tmp_path) == []


def _csv(name: str, text: str) -> FilePayload:
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def test_the_merchant_settings_pages_have_no_axe_violation_reflow_and_are_valid_html(
    browser: Browser, site: dict[str, Any], tmp_path: Path, receiver: Receiver
) -> None:
    """Merchant settings as a merchant user sees them: the page with a key and an endpoint, the page showing a new
    secret once, a refused form with its error, and an endpoint's deliveries (a test event delivered)."""
    server = site["server"]
    email = "owner@northwind.example"
    args = ("--email", email, "--role", "merchant", "--merchant", "Northwind Ceramics")
    with server.http() as http:
        invited = server.cli("users", "create", *args).stdout.strip().splitlines()[-1]
        assert choose_password(http, invited).status_code == 303
    page = browser.new_page()
    _sign_in_as(page, server.base_url, email)
    page.goto(f"{server.base_url}/console/settings")
    page.get_by_label("Address").fill(receiver.url)
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#new-secret")).to_be_visible()
    documents = {"settings (secret shown)": page.content()}
    settings_url = page.url if "/endpoints" not in page.url else page.url.rsplit("/endpoints", 1)[0]
    page.goto(settings_url)
    page.get_by_role("button", name=f"Send a test event to {receiver.url}").click()
    expect(page.locator(".notice")).to_contain_text("Test event queued")
    deliveries = page.get_by_role("link", name=f"Deliveries to {receiver.url}").get_attribute("href")
    assert deliveries is not None

    def delivered() -> bool:
        page.goto(server.base_url + deliveries)
        return "Delivered (HTTP 200)" in page.content()

    wait_for(delivered, timeout=20, what="the test event delivered")
    page.close()
    pages = {
        "settings": settings_url,
        "settings (secret shown)": None,
        "settings (error)": None,
        "settings deliveries": server.base_url + deliveries,
    }
    found: dict[str, list[str]] = {}
    for width in WIDTHS:
        context = _context(browser, width)
        page = context.new_page()
        _sign_in_as(page, server.base_url, email)
        page.goto(settings_url)
        page.get_by_label("New key's name").fill(f"audit {width}")
        page.get_by_role("button", name="Create key").click()
        expect(page.locator("#new-key")).to_be_visible()
        if problems := _audit(page):
            found[f"settings (secret shown) @ {width}px"] = problems
        page.goto(settings_url)
        page.get_by_label("Support email").evaluate("e => e.type = 'text'")  # past the browser's own check
        page.get_by_label("Support email").fill("not an address")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("alert")).to_contain_text("An email address")
        documents["settings (error)"] = page.content()
        if problems := _audit(page):
            found[f"settings (error) @ {width}px"] = problems
        # A logo chosen in the browser that is not a PNG or JPEG: refused, the field pointed at.
        page.goto(settings_url)
        svg = {"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": SVG}
        page.get_by_label("Replace the logo").set_input_files(files=[svg])
        page.get_by_role("button", name="Upload the logo").click()
        expect(page.get_by_role("alert")).to_contain_text("A logo is a PNG or JPEG image")
        documents["settings (logo refused)"] = page.content()
        if problems := _audit(page):
            found[f"settings (logo refused) @ {width}px"] = problems
        for name, url in pages.items():
            if url is None:
                continue
            page.goto(url)
            if name == "settings" and width in SCREENSHOT_WIDTHS:
                screenshot(page, f"console-settings-{SCREENSHOT_WIDTHS[width]}.png")
            documents[name] = page.request.get(url).text()
            if problems := _audit(page):
                found[f"{name} @ {width}px"] = problems
        context.close()
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert vnu_errors(documents, tmp_path) == []


def _sign_in_as(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/console/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Console")).to_be_visible()


def _code_now(secret: str, steps: int = 0) -> str:
    return totp.code_for_step(secret, totp.step_at(datetime.now(UTC)) + steps)


def test_the_tracking_page_keeps_the_logos_place_before_it_arrives(browser: Browser, site: dict[str, Any]) -> None:
    """The logo is held back until the page has laid out: its box is already the size it loads into (48 px high,
    the image's proportions), so nothing moves when it arrives; then it shows, named by the shop."""
    context = _context(browser, 375)
    page = context.new_page()
    held: list[Any] = []
    page.route("**/merchant-logos/**", lambda route: held.append(route))
    # Not "load": that waits for the image held here.
    page.goto(
        f"{site['server'].base_url}/t/{site['order']['parcels'][0]['tracking_number']}", wait_until="domcontentloaded"
    )
    logo = page.get_by_role("img", name="Northwind")
    # Each evaluate lets Playwright run the route handler; no fixed wait.
    wait_for(lambda: page.evaluate("true") and held, what="the logo requested")
    before = logo.bounding_box()
    heading = page.locator("h1").bounding_box()
    held[0].continue_()
    wait_for(lambda: logo.evaluate("img => img.complete && img.naturalWidth > 0"), what="the logo loaded")
    assert logo.bounding_box() == before and page.locator("h1").bounding_box() == heading
    assert before is not None and (before["width"], before["height"]) == (180, 48)  # 360 × 96 at 48 px high
    help_block = page.get_by_role("region", name="Need help?")
    expect(help_block.get_by_role("link", name="help@northwind.example")).to_have_attribute(
        "href", "mailto:help@northwind.example"
    )
    context.close()
