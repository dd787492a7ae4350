"""The console in Debian's Chromium against a real `ordertrail serve`: an operations user invited from the command
line chooses a password, signs in, finds parcels by pasted numbers and by a filter, exports them; the session
cookie's flags; a form posted from another site changes nothing; a merchant user sees none of another shop's
parcels; and the sign-in lockout holds across `serve --workers 2`. Screenshots are renewed with
ORDERTRAIL_UPDATE_SCREENSHOTS set."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import ServerProcess, auth, order_body, scan_body, start_server
from tests.support.audits import axe_violations, overflow
from tests.support.browser import page_problems, screenshot
from tests.support.staff import FAST_HASHING_ENV, PASSWORD, csrf_of, path_of

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.store_independent]


class Console:
    """A server with two shops, a few parcels each, and a way to invite staff from the command line."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.http = server.http()
        self.keys: dict[str, str] = {}
        for shop in ("Northwind Ceramics", "Southwind Glass"):
            assert server.cli("merchants", "create", shop).returncode == 0
            self.keys[shop] = self._last_line(
                "keys", "create", "--role", "merchant", "--name", "shop", "--merchant", shop
            )
        self.scanner = self._last_line("keys", "create", "--role", "scanner", "--name", "hub")
        self.numbers: dict[str, str] = {}
        placed = datetime.now(UTC) - timedelta(days=1)
        for i, name in enumerate(("Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson")):
            self.place("Northwind Ceramics", f"NW-{100 + i}", name, placed + timedelta(minutes=i))
        self.place("Southwind Glass", "SW-1", "Ada Lovelace", placed)
        self.scan("NW-101", "exception", reason="damaged")
        self.scan("SW-1", "exception", reason="damaged")

    def _last_line(self, *args: str) -> str:
        result = self.server.cli(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def place(self, shop: str, number: str, customer: str, placed: datetime) -> None:
        body = order_body(
            order_number=number, placed_at=placed.isoformat(), customer={"name": customer, "email": "c@example.com"}
        )
        response = self.http.post("/api/v1/orders", json=body, headers=auth(self.keys[shop]))
        assert response.status_code == 201, response.text
        self.numbers[number] = response.json()["parcels"][0]["tracking_number"]

    def scan(self, order: str, status: str, **extra: Any) -> None:
        body = scan_body(self.numbers[order], status, location={"facility": "Hub North", "country": "GB"}, **extra)
        assert self.http.post("/api/v1/scans", json=body, headers=auth(self.scanner)).status_code == 201

    def invite(self, email: str, role: str, *merchants: str) -> str:
        """``ordertrail users create``: the invitation URL is alone on the last line."""
        args = [a for m in merchants for a in ("--merchant", m)]
        return self._last_line("users", "create", "--email", email, "--role", role, *args)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None) -> Iterator[Console]:
    server = start_server(
        tmp_path_factory.mktemp("console") / "data", database_url=module_database_url, extra_env=FAST_HASHING_ENV
    )
    try:
        running = Console(server)
        yield running
        running.http.close()
    finally:
        server.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield ctx
    ctx.close()


def choose_password_and_sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    expect(page.get_by_label("New password")).to_be_focused()
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_have_text("Your password is set. Sign in with it.")
    expect(page.get_by_label("Email")).to_have_value(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")  # the keyboard alone signs in
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()


def table_numbers(page: Page) -> list[str]:
    return page.locator("tbody td[data-label='Tracking number']").all_inner_texts()


def test_an_invited_operations_user_sets_a_password_signs_in_and_finds_parcels_by_pasted_numbers_and_filter(
    console: Console, context: BrowserContext
) -> None:
    page = context.new_page()
    problems = page_problems(page)
    url = console.invite("ops@northwind.example", "operations", "Northwind Ceramics")
    assert url.startswith(console.server.base_url + "/console/invitation/")
    choose_password_and_sign_in(page, url, "ops@northwind.example")
    expect(page.get_by_role("link", name="1 Exceptions to handle")).to_be_visible()
    screenshot(page, "console-overview-desktop.png")
    # A queue: the overview's count opens exactly the parcels it counted; then both at phone width.
    page.get_by_role("link", name="1 Exceptions to handle").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    assert table_numbers(page) == [console.numbers["NW-101"]]
    screenshot(page, "console-queue-desktop.png")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "console-queue-phone.png")
    page.go_back()
    expect(page.get_by_role("link", name="1 Exceptions to handle")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "console-overview-phone.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    cookie = next(c for c in context.cookies() if c["name"] == "ot_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax" and cookie["secure"] is False

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Parcels").click()
    wanted = [console.numbers["NW-100"], console.numbers["NW-102"]]
    page.get_by_label("Search").fill(f"{wanted[0]}\n{wanted[1].lower()}\n{console.numbers['SW-1']}")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    assert sorted(table_numbers(page)) == sorted(wanted)  # Southwind's number finds nothing for this user

    page.get_by_role("link", name="Clear all").click()
    expect(page.locator("tbody tr")).to_have_count(4)
    page.get_by_label("Status").select_option(label="Problem with delivery")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    assert table_numbers(page) == [console.numbers["NW-101"]]
    expect(page.locator("tbody")).to_contain_text("damaged")
    screenshot(page, "console-parcels-desktop.png")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export these as CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [r["tracking_number"] for r in rows] == [console.numbers["NW-101"]]

    # Sorting by the column header, then phone width: rows become cards, nothing scrolls sideways.
    page.get_by_role("link", name="Clear all").click()
    page.get_by_role("link", name="Placed").click()
    expect(page.locator("th[aria-sort='ascending']")).to_have_text("Placed")
    assert table_numbers(page)[0] == console.numbers["NW-100"]
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.get_by_label("Search")).to_be_visible()
    # Cards to the eye, still a table to a screen reader: Chromium's own accessibility tree at this width, each
    # cell named by its content alone (the card's visible column name is not read a second time).
    tree = [n for n in context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"] if not n["ignored"]]
    roles = [n["role"]["value"] for n in tree]
    assert (roles.count("table"), roles.count("columnheader"), roles.count("row")) == (1, 6, 5)
    cells = [n.get("name", {}).get("value") for n in tree if n["role"]["value"] == "cell"]
    assert cells[0] == console.numbers["NW-100"]
    screenshot(page, "console-parcels-phone.png")
    assert problems == []


def test_a_support_user_opens_a_parcel_from_the_list_reads_its_timeline_and_adds_a_note(
    console: Console, browser: Browser
) -> None:
    # CSP bypassed only so that axe (a script of the test, not the page) can be injected; the page has no scripts.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    problems = page_problems(page)
    email = "desk@northwind.example"
    choose_password_and_sign_in(page, console.invite(email, "support", "Northwind Ceramics"), email)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Parcels").click()
    number = console.numbers["NW-101"]
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=f"Parcel {number}", level=1)).to_be_visible()
    timeline = page.locator("ol.timeline")
    expect(timeline.locator("li[data-kind='scan']")).to_have_count(2)  # order placed, the damaged exception
    expect(timeline).to_contain_text("damaged")

    page.get_by_role("textbox", name="Note").fill("Customer asked for a replacement; photo of the damage requested.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("status")).to_have_text("Note added.")
    note = timeline.locator("li[data-kind='note']")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Customer asked for a replacement; photo of the damage requested.")
    expect(note).to_contain_text(f"Note by {email}")
    expect(timeline.locator("li").last).to_have_attribute("data-kind", "note")  # the newest entry
    assert axe_violations(page) == []
    screenshot(page, "console-parcel-detail-desktop.png")
    page.set_viewport_size({"width": 390, "height": 844})
    assert overflow(page) == [] and axe_violations(page) == []
    screenshot(page, "console-parcel-detail-phone.png")
    assert problems == []
    context.close()


def test_the_skip_link_comes_first_and_every_field_has_a_label(console: Console, context: BrowserContext) -> None:
    page = context.new_page()
    choose_password_and_sign_in(
        page, console.invite("viewer@northwind.example", "viewer", "Northwind Ceramics"), "viewer@northwind.example"
    )
    page.goto(console.server.base_url + "/console/parcels")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    unlabeled = page.evaluate(
        """[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
             .filter(el => !(el.labels && el.labels.length)).map(el => el.name)"""
    )
    assert unlabeled == []
    assert page.locator("h1").count() == 1


def test_a_form_posted_from_another_site_does_not_sign_the_user_out(console: Console, context: BrowserContext) -> None:
    page = context.new_page()
    choose_password_and_sign_in(
        page, console.invite("support@northwind.example", "support", "Northwind Ceramics"), "support@northwind.example"
    )
    # A page of another origin (another port of this host is another site's origin) posts the sign-out form.
    evil = context.new_page()
    evil.goto("about:blank")
    evil.set_content(
        f'<form method="post" action="{console.server.base_url}/console/sign-out-everywhere">'
        '<input name="csrf_token" value="guessed"><button>Win a prize</button></form>'
    )
    evil.get_by_role("button", name="Win a prize").click()
    evil.wait_for_load_state()
    assert "You are signed out" not in evil.content()
    page.reload()
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()


def test_a_merchant_user_sees_nothing_of_another_shop(console: Console, context: BrowserContext) -> None:
    page = context.new_page()
    choose_password_and_sign_in(
        page, console.invite("owner@southwind.example", "merchant", "Southwind Glass"), "owner@southwind.example"
    )
    expect(page.locator(".lead")).to_contain_text("1 parcels of Southwind Glass")
    page.goto(console.server.base_url + "/console/parcels")
    assert table_numbers(page) == [console.numbers["SW-1"]]
    page.get_by_label("Search").fill("\n".join(console.numbers.values()))
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_label("Search").fill("Ada Lovelace")
    page.get_by_role("button", name="Apply").click()
    assert table_numbers(page) == [console.numbers["SW-1"]]


def test_the_sign_in_lockout_holds_across_two_server_processes(tmp_path: Path) -> None:
    """Two `ordertrail serve` processes on one store: failures counted by one lock the account on the other.

    (Two servers rather than `serve --workers 2`: on a loaded machine uvicorn's supervisor restarts workers that
    start slower than its 5 s health ping; the store shared by two processes is the same either way.)
    """
    env = {**FAST_HASHING_ENV, "ORDERTRAIL_STAFF_LOCKOUT_FAILURES": "4"}
    first = start_server(tmp_path / "data", extra_env=env)
    second = None
    try:
        second = start_server(tmp_path / "data", extra_env=env)
        assert first.cli("merchants", "create", "Shop").returncode == 0
        invited = first.cli(
            "users", "create", "--email", "ops@example.com", "--role", "operations", "--merchant", "Shop"
        )
        url = path_of(invited.stdout.strip().splitlines()[-1])
        with first.http() as client:
            page = client.get(url)
            body = {"csrf_token": csrf_of(page.text), "password": PASSWORD, "password_again": PASSWORD}
            assert client.post(url, data=body).status_code == 303
        for server in (first, second, first, second):
            with server.http() as client:
                assert _sign_in(client, "ops@example.com", "wrong password, sorry").status_code == 401
        for server in (first, second):
            with server.http() as client:
                locked = _sign_in(client, "ops@example.com", PASSWORD)
                assert locked.status_code == 429 and "ot_session" not in client.cookies
    finally:
        if second is not None:
            second.stop()
        first.stop()


def _sign_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    page = client.get("/console/login")
    return client.post("/console/login", data={"csrf_token": csrf_of(page.text), "email": email, "password": password})


def test_the_overview_and_a_list_open_in_two_browsers_follow_a_scan_without_a_reload(
    console: Console, browser: Browser
) -> None:
    first, second = (browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2))
    overview, listing = first.new_page(), second.new_page()
    problems = page_problems(overview) + page_problems(listing)
    for page, email in ((overview, "live-a@northwind.example"), (listing, "live-b@northwind.example")):
        choose_password_and_sign_in(page, console.invite(email, "operations", "Northwind Ceramics"), email)
    # Each page's stream is open (its response has begun) before the scan is sent.
    for page, path in ((overview, "/console"), (listing, "/console/parcels")):
        with page.expect_response(lambda response: response.url.endswith("/console/live")):
            page.goto(console.server.base_url + path)
    number = console.numbers["NW-103"]
    row = listing.locator("tbody tr", has=listing.get_by_role("link", name=number))
    expect(row).not_to_contain_text("Problem with delivery")
    tile = overview.locator(
        "section[aria-labelledby='attention'] a[href='/console/parcels?status=exception&handled=false']"
    )
    before = int(tile.locator(".tile-count").inner_text())

    console.scan("NW-103", "exception", reason="weather")
    expect(row).to_contain_text("Problem with delivery")
    expect(row).to_contain_text("weather")
    expect(tile.locator(".tile-count")).to_have_text(str(before + 1))
    assert overview.url.endswith("/console") and listing.url.endswith("/console/parcels")  # neither reloaded
    assert problems == []
    first.close()
    second.close()
