"""Debian's Chromium driven by Playwright: the one launch configuration every browser test uses."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright

CHROMIUM = "/usr/bin/chromium"  # Debian's package, installed by scripts/install-system: no browser downloads
# No sandbox (CI runs as root) and none of the background connections a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright: Playwright, *extra_args: str) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])


def page_problems(page: Page, *, console_errors: bool = True) -> list[str]:
    """Script errors (and console errors: a CSP violation is one) the page reports from now on."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    if console_errors:
        page.on("console", on_console)
    return problems


SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot(page: Page, name: str, *, full_page: bool = True) -> bytes:
    """Take a screenshot; keep it as ``docs/screenshots/NAME`` only when ORDERTRAIL_UPDATE_SCREENSHOTS is set,
    so an ordinary test run leaves the tracked pictures alone."""
    data = page.screenshot(full_page=full_page, animations="disabled")
    if os.environ.get("ORDERTRAIL_UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / name).write_bytes(data)
    return data
