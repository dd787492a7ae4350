"""The interactive API docs in a real Chromium with no way out to the internet: Swagger UI at /docs takes an API
key and runs a request; ReDoc at /redoc renders the same document; neither page asks for anything from another
host, and neither breaks the app's content security policy. Both pass the page audits every other page passes:
axe-core with 0 violations (collapsed, and with an operation opened), no horizontal overflow at 320, 375 and
1280 px, and valid HTML.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.conftest import ServerProcess, start_server
from tests.support.audits import axe_violations, overflow, vnu_errors
from tests.support.browser import page_problems, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.store_independent]
# The viewers are megabytes of script: on a loaded machine rendering takes longer than expect's 5 s default.
RENDERED = 30_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None) -> Iterator[ServerProcess]:
    running = start_server(tmp_path_factory.mktemp("api-docs") / "data", database_url=module_database_url)
    try:
        assert running.cli("merchants", "create", "Docs Shop").returncode == 0
        yield running
    finally:
        running.stop()


@pytest.fixture
def offline(browser: Browser, server: ServerProcess) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A browser context that reaches the server under test and nothing else (every other request is refused
    and noted)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    elsewhere: list[str] = []

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith(server.base_url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_the_server)
    yield context, elsewhere
    context.close()


def key(server: ServerProcess) -> str:
    result = server.cli("keys", "create", "--role", "merchant", "--name", "docs reader", "--merchant", "Docs Shop")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_swagger_ui_offline_takes_a_key_and_runs_a_request(
    offline: tuple[BrowserContext, list[str]], server: ServerProcess
) -> None:
    context, elsewhere = offline
    page = context.new_page()
    problems = page_problems(page)
    page.goto(f"{server.base_url}/docs")
    expect(page.locator(".information-container .title")).to_contain_text("ordertrail", timeout=RENDERED)

    page.get_by_role("button", name="Authorize").first.click()
    # Two schemes: the API key (bearer) and the console's session cookie; a key is what a client sends.
    bearer = page.locator(".auth-container", has=page.locator("#auth-bearer-value"))
    bearer.locator("#auth-bearer-value").fill(key(server))
    bearer.locator(".auth-btn-wrapper .authorize").click()
    page.get_by_role("button", name="Close").first.click()

    whoami = page.locator('.opblock[id$="get_current_key"]').first
    whoami.locator(".opblock-summary").click()
    whoami.get_by_role("button", name="Execute").click()
    response = whoami.locator(".responses-table.live-responses-table")
    expect(response.locator("tbody .response-col_status").first).to_have_text("200", timeout=RENDERED)
    expect(response).to_contain_text("docs reader", timeout=RENDERED)
    response.scroll_into_view_if_needed()
    screenshot(page, "api-docs-swagger.png", full_page=False)
    assert elsewhere == []
    assert problems == []


def test_redoc_offline_renders_the_document(offline: tuple[BrowserContext, list[str]], server: ServerProcess) -> None:
    context, elsewhere = offline
    page = context.new_page()
    problems = page_problems(page)
    page.goto(f"{server.base_url}/redoc")
    expect(page.locator("h1").first).to_contain_text("ordertrail", timeout=RENDERED)
    expect(page.get_by_text("/api/v1/scans/batch").first).to_be_attached(timeout=RENDERED)
    screenshot(page, "api-docs-redoc.png", full_page=False)
    assert elsewhere == []
    assert problems == []


WIDTHS = (320, 375, 1280)


def audited(page: Page, what: str) -> None:
    """The reflow measurement at each width and axe-core at the narrowest and the widest, the page rendered once:
    the viewers are megabytes of script and ReDoc renders the whole document, so each load and each axe run is
    seconds."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert overflow(page) == [], f"{what} at {width} px"
        if width in (WIDTHS[0], WIDTHS[-1]):
            assert axe_violations(page) == [], f"{what} at {width} px"


def test_both_viewers_pass_axe_and_reflow_at_every_width(browser: Browser, server: ServerProcess) -> None:
    # bypass_csp: axe is injected as the test's script, not the page's.
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900}, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{server.base_url}/docs")
        expect(page.locator(".opblock-tag").first).to_be_visible(timeout=RENDERED)
        audited(page, "/docs")
        # An operation opened: its parameters, request body, example responses and the "Execute" button.
        opened = page.locator('.opblock[id$="create_order"]').first
        opened.locator(".opblock-summary-control").click()
        expect(opened.get_by_role("button", name="Execute")).to_be_visible(timeout=RENDERED)
        audited(page, "/docs, an operation opened")

        page.goto(f"{server.base_url}/redoc")
        expect(page.get_by_text("/api/v1/scans/batch").first).to_be_attached(timeout=RENDERED)
        audited(page, "/redoc")
    finally:
        context.close()


def test_the_docs_pages_are_valid_html(server: ServerProcess, tmp_path: Path) -> None:
    with server.http() as http:
        documents = {path: http.get(path).text for path in ("/docs", "/redoc")}
    assert vnu_errors(documents, tmp_path) == []
