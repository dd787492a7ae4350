"""Static files: gzipped for clients that take it, cached for a year under their content-hashed URL, revalidated
(ETag) under any other; the pages link the hashed URLs, and the unsubscribe page is styled by them (no inline
style, which the app's CSP blocks)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ordertrail.app import create_app
from ordertrail.http.assets import CUSTOMER_STATIC, IMMUTABLE
from ordertrail.settings import Settings
from ordertrail.storage.migrate import upgrade


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir()
    upgrade(settings.resolved_database_url)
    with TestClient(create_app(settings)) as client:
        yield client


def _linked(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_link_hashed_urls_that_are_cached_for_a_year_and_gzipped(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    linked = _linked(home.text)
    stylesheet = next(url for url in linked if "ordertrail.css" in url)
    assert re.fullmatch(r"/static/css/ordertrail\.css\?v=[0-9a-f]{16}", stylesheet)

    response = client.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    original = (CUSTOMER_STATIC / "css" / "ordertrail.css").read_bytes()
    assert response.content == original  # httpx undid the gzip: the same bytes as the file
    assert int(response.headers["content-length"]) < len(original) / 2  # what went over the wire: compressed

    plain = client.get(stylesheet, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == original


def test_an_unhashed_or_stale_url_is_revalidated_never_kept(client: TestClient) -> None:
    for url in ("/static/css/ordertrail.css", "/static/css/ordertrail.css?v=0000000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-cache"
        etag = response.headers["etag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
    assert client.get("/static/css/missing.css").status_code == 404
    assert client.get("/static/../pyproject.toml").status_code == 404
    assert client.post("/static/css/ordertrail.css").status_code == 405


def test_unsubscribe_page_has_no_inline_style_and_links_the_stylesheet(client: TestClient) -> None:
    page = client.get("/unsubscribe/not-a-token")
    assert page.status_code == 404
    assert "style=" not in page.text and "<style" not in page.text
    [stylesheet] = _linked(page.text)
    assert client.get(stylesheet).headers["cache-control"] == IMMUTABLE


def test_station_files_are_compressed_and_revalidated(client: TestClient) -> None:
    response = client.get("/scan/static/station.js?v=1", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == "no-cache" and response.headers["etag"]
    assert response.headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_docs_viewers_are_linked_hashed_gzipped_and_cached(client: TestClient, page: str) -> None:
    # Megabytes of script: sent uncompressed and uncached, they made the docs the slowest pages by far.
    html = client.get(page).text
    linked = re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', html)
    assert len(linked) >= 3 and all(re.search(r"\?v=[0-9a-f]{16}$", url) for url in linked), linked
    for url in linked:
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response.headers["cache-control"] == IMMUTABLE, url
        assert response.headers["content-encoding"] == "gzip", url
    viewer = next(url for url in linked if "vendor/" in url and url.split("?")[0].endswith(".js"))
    sent = client.get(viewer, headers={"Accept-Encoding": "gzip"})
    assert int(sent.headers["content-length"]) < len(sent.content) / 2
