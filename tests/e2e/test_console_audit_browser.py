"""The audit log's page in a real Chromium against a real ``ordertrail serve``: a merchant user opens it from the
navigation, narrows it to one parcel, sees only their shop's entries, and the page has no axe-core violation and
fits at desktop and phone widths (the screenshots in docs/screenshots/ come from here)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ServerProcess, auth, order_body, scan_body, start_server
from tests.support.audits import axe_violations, overflow
from tests.support.browser import page_problems, screenshot
from tests.support.staff import FAST_HASHING_ENV, PASSWORD, choose_password

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.store_independent]

OWNER = "owner@northwind.example"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    """Two shops; Northwind's parcels have notes, a cancellation and an exception; Southwind's a note."""
    server = start_server(tmp_path_factory.mktemp("audit") / "data", extra_env=FAST_HASHING_ENV)
    keys = {}
    for name in ("Northwind Ceramics", "Southwind Glass"):
        assert server.cli("merchants", "create", name).returncode == 0
        created = server.cli("keys", "create", "--role", "merchant", "--name", f"{name} backend", "--merchant", name)
        keys[name] = created.stdout.strip().splitlines()[-1]
    scanner = server.cli("keys", "create", "--role", "scanner", "--name", "hub").stdout.strip().splitlines()[-1]
    numbers: dict[str, str] = {}
    with server.http() as http:
        placed = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
        for order, name in (
            ("NW-1", "Northwind Ceramics"),
            ("NW-2", "Northwind Ceramics"),
            ("SW-1", "Southwind Glass"),
        ):
            made = http.post(
                "/api/v1/orders", json=order_body(order_number=order, placed_at=placed), headers=auth(keys[name])
            )
            assert made.status_code == 201, made.text
            numbers[order] = made.json()["parcels"][0]["tracking_number"]
        north = auth(keys["Northwind Ceramics"])
        for text in ("Customer called: leave it with the neighbour at 14.", "Neighbour confirmed by phone."):
            assert (
                http.post(f"/api/v1/parcels/{numbers['NW-1']}/notes", json={"message": text}, headers=north).status_code
                == 201
            )
        cancel = http.post(
            f"/api/v1/parcels/{numbers['NW-2']}/cancel", json={"reason": "Customer changed their mind"}, headers=north
        )
        assert cancel.status_code == 200, cancel.text
        body = scan_body(numbers["NW-1"], "exception", reason="damaged")
        assert http.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
        south = auth(keys["Southwind Glass"])
        assert (
            http.post(
                f"/api/v1/parcels/{numbers['SW-1']}/notes", json={"message": "Southwind only"}, headers=south
            ).status_code
            == 201
        )
    invitation = server.cli(
        "users", "create", "--email", OWNER, "--role", "merchant", "--merchant", "Northwind Ceramics"
    )
    with server.http() as http:  # the owner chose a password (the invitation page itself is tested elsewhere)
        assert choose_password(http, invitation.stdout.strip().splitlines()[-1]).status_code == 303
    try:
        yield server, numbers
    finally:
        server.stop()


def _sign_in(page: Page, server: ServerProcess) -> None:
    page.goto(f"{server.base_url}/console/login")
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()


def test_a_merchant_user_reads_and_narrows_the_audit_log_and_the_page_passes_axe_at_both_widths(
    shop: tuple[ServerProcess, dict[str, str]], browser: Browser
) -> None:
    server, numbers = shop
    # CSP bypassed only so that axe (a script of the test, not the page) can be injected.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    problems = page_problems(page)
    _sign_in(page, server)

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows.first).to_contain_text("session.signed_in")  # newest first: the sign-in just now
    expect(page.locator("tbody")).to_contain_text("parcel.cancelled")
    expect(page.locator("tbody")).not_to_contain_text("Southwind only")
    expect(page.locator("tbody")).not_to_contain_text(numbers["SW-1"])
    assert axe_violations(page) == [] and overflow(page) == []
    screenshot(page, "console-audit-desktop.png")

    page.get_by_label("Parcel").fill(numbers["NW-1"])
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Neighbour confirmed by phone.")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export these as CSV").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.count("parcel.note_added") == 2 and "Southwind" not in exported

    page.goto(f"{server.base_url}/console/audit")
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page) == [] and overflow(page) == []
    screenshot(page, "console-audit-phone.png")
    page.get_by_label("Action").select_option("parcel.cancelled")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Customer changed their mind")
    assert problems == []
    context.close()


def test_the_merchant_user_marks_the_exception_handled_in_the_browser_and_the_page_passes_axe(
    shop: tuple[ServerProcess, dict[str, str]], browser: Browser
) -> None:
    """The parcel page with its handling and resend forms, at both widths, then the handling done by keyboard and
    mouse: the parcel leaves the overview's exceptions queue."""
    server, numbers = shop
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    problems = page_problems(page)
    _sign_in(page, server)
    queue = page.get_by_role("link", name="1 Exceptions to handle")
    expect(queue).to_be_visible()
    queue.click()
    page.get_by_role("link", name=numbers["NW-1"]).click()
    expect(page.get_by_role("heading", name="Mark the exception handled")).to_be_visible()
    expect(page.get_by_role("button", name="Replay the webhooks")).to_be_visible()
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page) == [] and overflow(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_label("What was done").fill("New box sent from the warehouse; the customer knows.")
    page.get_by_role("button", name="Mark handled").click()
    expect(page.get_by_role("status")).to_have_text("Exception marked handled.")
    expect(page.get_by_role("heading", name="Mark the exception handled")).to_have_count(0)
    expect(page.locator("ol.timeline li").last).to_contain_text("parcel.exception_handled")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Overview").click()
    expect(page.get_by_role("link", name="0 Exceptions to handle")).to_be_visible()
    assert problems == []
    context.close()
