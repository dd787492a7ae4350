"""The open tracking page shows a later "arriving on" date and the delay, live, when a hub scan comes late.

A real uvicorn server runs the app with a clock the test moves; a real Chromium watches the page; the customer's
email goes to a real SMTP server and the merchant's webhook to a real receiver (verified with standardwebhooks).
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect
from standardwebhooks import Webhook

from ordertrail.settings import Settings
from tests.conftest import BIN, auth, order_body, scan_body, wait_for
from tests.e2e.test_live_pages_browser import LIVE_WITHIN_MS, open_live, watch
from tests.support.clock import FakeClock, serve_in_thread
from tests.support.notify import Receiver, SmtpServer, receiver, settled, smtp_server

__all__ = ["receiver", "smtp_server"]
pytestmark = [pytest.mark.slow, pytest.mark.browser]

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_late_hub_scan_moves_the_date_and_shows_the_delay_without_reload(
    browser: Browser, tmp_path: Path, smtp_server: SmtpServer, receiver: Receiver
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        smtp_url=smtp_server.url,
        webhook_allow_private=True,
        webhook_ports="*",  # and on its own port
        worker_poll_seconds=0.05,
        public_rate_limit="0",
        eta_sweep_seconds=3600,
    )
    clock = FakeClock(MONDAY)
    url = settings.resolved_database_url
    with serve_in_thread(settings, clock) as base, httpx.Client(base_url=base, timeout=30) as http:
        keys = {role: _cli_key(settings, role) for role in ("merchant", "scanner")}
        endpoint = http.post(
            "/api/v1/webhook-endpoints",
            json={"url": receiver.url, "event_types": ["parcel.delayed", "parcel.delay_cleared"]},
            headers=auth(keys["merchant"]),
        ).json()
        order = http.post(
            "/api/v1/orders", json=order_body(promised_delivery_date="2026-03-06"), headers=auth(keys["merchant"])
        ).json()
        number = order["parcels"][0]["tracking_number"]

        def scan(status: str, at: datetime) -> None:
            wait_for(lambda: settled(url) is not None, what="outbox settled")  # then move the clock
            clock.set(at)
            answer = http.post("/api/v1/scans", json=scan_body(number, status, at=at), headers=auth(keys["scanner"]))
            assert answer.status_code == 201, answer.text

        scan("processing", MONDAY + timedelta(hours=1))
        scan("dispatched", MONDAY + timedelta(hours=9))

        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors = watch(page)
        open_live(page, f"{base}/t/{number}")
        slot = page.locator(".js-eta-value")
        expect(slot).to_have_text("Wed 4 – Thu 5 Mar")
        expect(page.locator(".js-delay")).to_be_hidden()

        scan("in_transit", datetime(2026, 3, 6, 10, 0, tzinfo=UTC))  # expected on Tuesday, scanned on Friday
        expect(slot).to_have_text("Mon 9 – Tue 10 Mar", timeout=LIVE_WITHIN_MS)
        expect(slot).to_have_attribute("data-earliest", "2026-03-09")
        expect(page.locator(".js-delay")).to_be_visible(timeout=LIVE_WITHIN_MS)
        expect(page.locator(".js-delay")).to_contain_text("running late")
        expect(page.locator(".headline")).to_have_text("In transit")
        assert page.evaluate("window.__notReloaded") is True
        page.screenshot(path=str(tmp_path / "delayed.png"), full_page=True, animations="disabled")
        assert errors == []
        page.close()

        wait_for(lambda: settled(url), what="outbox settled")
        hooks = [Webhook(endpoint["secret"]).verify(r.body, r.headers) for r in receiver.snapshot()]
        assert [(h["type"], h["data"]["tracking_number"]) for h in hooks] == [("parcel.delayed", number)]
        late = [m for m in smtp_server.messages if "running late" in str(m["Subject"])]
        assert len(late) == 1 and late[0]["To"] == "ada@example.com"


def _cli_key(settings: Settings, role: str) -> str:
    """A key made with the ``ordertrail`` command (the browser's event loop owns this thread)."""
    env = {**os.environ, "ORDERTRAIL_DATA_DIR": str(settings.data_dir)}

    def run(*args: str) -> str:
        done = subprocess.run([str(BIN / "ordertrail"), *args], env=env, capture_output=True, text=True, check=True)
        return done.stdout.strip().splitlines()[-1]

    if role == "merchant":
        run("merchants", "create", "Northwind Ceramics")
        return run("keys", "create", "--role", "merchant", "--name", "shop", "--merchant", "Northwind Ceramics")
    return run("keys", "create", "--role", "scanner", "--name", "hub")
