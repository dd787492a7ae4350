"""The analytics page and the dwelling queue in Debian's Chromium against a real `ordertrail serve`: a merchant
user of one shop reads the step and dwell tables (its own parcels only), clicks a figure, or a point of a trend
chart, and gets exactly the parcels it counted, and the overview's dwelling count opens exactly its parcels.
Screenshots are renewed with ORDERTRAIL_UPDATE_SCREENSHOTS set.

The history is dated days back from now, so the parcels that dwell have waited about 119 hours against p90s of
10 and 20: nothing here depends on when the test runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ServerProcess, auth, order_body, scan_body, start_server
from tests.support.audits import overflow
from tests.support.browser import page_problems, screenshot
from tests.support.staff import FAST_HASHING_ENV, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.store_independent]

NOW = datetime.now(UTC)
B = NOW - timedelta(days=5)
LEEDS, NORTH = "Leeds DC", "Hub North"


class History:
    """Two shops; Shop A's parcels: two delivered (in transit 6 h and 20 h), two dwelling (at North since B+1 h, at
    Leeds since B), one at North for 2 h; Shop B's: one dwelling at North."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.http = server.http()
        self.keys: dict[str, str] = {}
        for shop in ("Shop A", "Shop B"):
            assert server.cli("merchants", "create", shop).returncode == 0
            self.keys[shop] = self._last_line(
                "keys", "create", "--role", "merchant", "--name", "shop", "--merchant", shop
            )
        self.scanner = self._last_line("keys", "create", "--role", "scanner", "--name", "hubs")
        self.numbers = {
            name: self.place("Shop B" if name == "b" else "Shop A") for name in ("p1", "p2", "p4", "p6", "p7", "b")
        }

        def h(hours: float) -> datetime:
            return B + timedelta(hours=hours)

        for name, scans in {
            "p1": [("dispatched", h(0), LEEDS), ("in_transit", h(4), NORTH), ("out_for_delivery", h(10), None),
                   ("delivered", h(12), None)],
            "p2": [("dispatched", h(0), LEEDS), ("in_transit", h(10), NORTH), ("out_for_delivery", h(30), None),
                   ("delivered", h(31), None)],
            "p4": [("dispatched", h(0), LEEDS), ("in_transit", h(1), NORTH)],
            "b": [("dispatched", h(0), LEEDS), ("in_transit", h(1), NORTH)],
            "p6": [("dispatched", NOW - timedelta(hours=3), LEEDS), ("in_transit", NOW - timedelta(hours=2), NORTH)],
            "p7": [("dispatched", h(0), LEEDS)],
        }.items():  # fmt: skip
            for status, at, facility in scans:
                location = {"facility": facility, "country": "GB"} if facility else None
                body = scan_body(self.numbers[name], status, at=at, location=location)
                assert self.http.post("/api/v1/scans", json=body, headers=auth(self.scanner)).status_code == 201

    def _last_line(self, *args: str) -> str:
        result = self.server.cli(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def place(self, shop: str) -> str:
        body = order_body(placed_at=(B - timedelta(hours=1)).isoformat())
        response = self.http.post("/api/v1/orders", json=body, headers=auth(self.keys[shop]))
        assert response.status_code == 201, response.text
        number: str = response.json()["parcels"][0]["tracking_number"]
        return number

    def invite(self, email: str, role: str, merchant: str) -> str:
        return self._last_line("users", "create", "--email", email, "--role", role, "--merchant", merchant)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None) -> Iterator[History]:
    server = start_server(
        tmp_path_factory.mktemp("analytics") / "data", database_url=module_database_url, extra_env=FAST_HASHING_ENV
    )
    try:
        running = History(server)
        yield running
        running.http.close()
    finally:
        server.stop()


def sign_in(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()


def listed(page: Page) -> list[str]:
    return sorted(page.locator("tbody td[data-label='Tracking number']").all_inner_texts())


def test_a_merchant_user_clicks_step_dwell_and_dwelling_figures_and_gets_exactly_their_parcels(
    history: History, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = page_problems(page)
    sign_in(page, history.invite("owner@shop-a.example", "merchant", "Shop A"))
    n = history.numbers

    # The overview's queue: Shop A's two dwelling parcels (Shop B's is not counted), and the list it opens.
    page.get_by_role("link", name="2 Dwelling at a facility").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    assert listed(page) == sorted([n["p4"], n["p7"]])

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Analytics").click()
    page.get_by_label("From", exact=True).fill((B - timedelta(days=2)).date().isoformat())
    page.get_by_label("To", exact=True).fill(NOW.date().isoformat())
    page.get_by_role("button", name="Show").click()
    steps = page.get_by_role("table", name="Time in each step")
    in_transit = steps.get_by_role("row", name="In transit")
    expect(in_transit.get_by_role("cell")).to_have_text(["2", "6.0", "20.0"])
    dwell = page.get_by_role("table", name="Dwell per facility")
    expect(dwell.get_by_role("row", name=LEEDS).get_by_role("cell")).to_have_text(["4", "1.0", "10.0"])
    expect(dwell.get_by_role("row", name=NORTH).get_by_role("cell")).to_have_text(["2", "6.0", "20.0"])
    # The trends, per day: the transit chart's point of each delivery day opens exactly the parcels it counted
    # (p1 delivered at B+12 h after 12 h in transit, p2 at B+31 h after 31 h; the same day or two).
    delivered = {n["p1"]: (B + timedelta(hours=12), 12.0), n["p2"]: (B + timedelta(hours=31), 31.0)}
    transit = page.get_by_role("group", name="Transit p50, dispatched to delivered (hours)")
    expect(transit).to_be_visible()
    for day in sorted({at.date() for at, _ in delivered.values()}):
        numbers = sorted(number for number, (at, _) in delivered.items() if at.date() == day)
        p50 = min(hours for at, hours in delivered.values() if at.date() == day)  # nearest rank of 1 or 2
        point = transit.get_by_role("link", name=f"{day.isoformat()}: {p50:.1f} h ({len(numbers)} parcels)")
        point.click()
        expect(page.locator("tbody tr")).to_have_count(len(numbers))
        assert listed(page) == numbers
        page.go_back()
    screenshot(page, "console-analytics-desktop.png")

    in_transit.get_by_role("link", name="2").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    assert listed(page) == sorted([n["p1"], n["p2"]])
    page.go_back()
    dwell.get_by_role("row", name=LEEDS).get_by_role("link", name="4").click()
    expect(page.locator("tbody tr")).to_have_count(4)
    assert listed(page) == sorted([n["p1"], n["p2"], n["p4"], n["p6"]])
    page.go_back()
    page.get_by_role("link", name="2 dwelling now").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    assert listed(page) == sorted([n["p4"], n["p7"]])

    page.go_back()
    page.set_viewport_size({"width": 375, "height": 800})
    assert overflow(page) == []
    page.get_by_text("The trends as a table").click()  # the charts' table alternative fits too, opened
    expect(page.get_by_role("table", name="Trends per day")).to_be_visible()
    assert overflow(page) == []
    screenshot(page, "console-analytics-phone.png")
    assert problems == []
    context.close()
    with httpx.Client(base_url=history.server.base_url) as api:  # the same queue for Shop B's key: its one parcel
        parcels = api.get("/api/v1/parcels", params={"dwelling": "true"}, headers=auth(history.keys["Shop B"]))
        assert [p["tracking_number"] for p in parcels.json()["parcels"]] == [n["b"]]
