"""Customer pages in-process: tracking page, misses, order verification and lockout, rate limits, headers."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ordertrail.app import create_app
from ordertrail.settings import Settings
from tests.conftest import auth, scan_body


def test_tracking_page_is_readable_without_javascript(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    scanner = make_key("scanner")
    at = (datetime.now(UTC) - timedelta(minutes=5)).astimezone(timezone(timedelta(hours=5, minutes=30)))
    for minutes, status in ((10, "dispatched"), (8, "out_for_delivery")):
        earlier = datetime.now(UTC) - timedelta(minutes=minutes)
        answer = client.post("/api/v1/scans", json=scan_body(number, status, at=earlier), headers=auth(scanner))
        assert answer.status_code == 201
    body = scan_body(number, "delivery_attempted", reason="nobody_home", at=at)
    assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
    page = client.get(f"/t/{number.lower()}")  # typed in lower case: still found
    assert page.status_code == 200
    html = page.text
    assert re.search(r'<h1 class="headline"[^>]*>\s*<span class="js-status-label">Delivery attempted</span>', html)
    assert "The driver came, but nobody was home." in html  # what happened
    assert "Delivery will be tried again on the next working day." in html  # what happens next
    assert f"{at:%H:%M} (UTC+05:30)" in html  # the event's own local time
    assert "Leeds, GB" in html
    assert "data-eta-slot" in html  # "arriving on" slot, empty until estimates exist
    assert "<script>" not in html and re.search(r'src="/static/js/live-tracking\.js\?v=[0-9a-f]{16}"', html)
    assert client.get("/static/js/live-tracking.js").status_code == 200
    assert client.get("/static/css/ordertrail.css").status_code == 200


def test_unknown_and_malformed_numbers_get_the_same_friendly_page(client: TestClient) -> None:
    unknown = client.get("/t/OT0000000000X")
    malformed = client.get("/t/hello")
    assert unknown.status_code == malformed.status_code == 404
    assert "We couldn't find that parcel" in unknown.text and '<form action="/track"' in unknown.text
    assert unknown.text.replace("OT0000000000X", "N") == malformed.text.replace("hello", "N")
    assert client.get("/track", params={"number": "nope"}).text.replace("nope", "N") == malformed.text.replace(
        "hello", "N"
    )


def test_lookup_form_goes_to_the_parcel_page(client: TestClient, make_order: Callable[..., dict[str, Any]]) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    home = client.get("/")
    assert home.status_code == 200 and 'for="number"' in home.text and 'for="verifier"' in home.text
    answer = client.get("/track", params={"number": f" {number[:5]}-{number[5:]} "}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/t/{number}"


def _open(client: TestClient, order_number: str, verifier: str) -> Any:
    return client.post(
        "/track/order", data={"order_number": order_number, "verifier": verifier}, follow_redirects=False
    )


def test_order_view_needs_the_right_verifier(client: TestClient, make_order: Callable[..., dict[str, Any]]) -> None:
    order = make_order(parcels=[{"reference": "Teapot"}, {"reference": "Cups"}])
    number = order["order_number"]
    wrong = _open(client, number, "someone@example.com")
    unknown = _open(client, "NO-SUCH-ORDER", "ada@example.com")
    assert wrong.status_code == unknown.status_code == 404
    # "not found" and "does not match" are indistinguishable.
    assert wrong.text.replace(number, "N") == unknown.text.replace("NO-SUCH-ORDER", "N")
    for verifier in ("ADA@example.com ", "n1 9gu"):  # email or postal code, as people type them
        opened = _open(client, number, verifier)
        assert opened.status_code == 303 and opened.headers["location"].startswith("/o/")
    view = client.get(opened.headers["location"])
    assert view.status_code == 200
    assert view.headers["cache-control"] == "no-store"
    assert "Teapot" in view.text and "Cups" in view.text and "London" in view.text
    assert "12 Analytical Row" not in view.text  # the street line stays masked
    for parcel in order["parcels"]:
        assert parcel["tracking_number"] in view.text
    forged = client.get(opened.headers["location"][:-3] + "abc")
    assert forged.status_code == 404


def test_an_order_locks_after_five_failures_in_fifteen_minutes(
    client: TestClient, make_order: Callable[..., dict[str, Any]]
) -> None:
    number = make_order()["order_number"]
    for _ in range(5):
        assert _open(client, number, "guess@example.com").status_code == 404
    locked = _open(client, number, "ada@example.com")  # even the right verifier, while locked
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    assert "locked" in locked.text
    # An unknown number locks exactly the same way: the lock reveals nothing.
    for _ in range(5):
        _open(client, "NOT-AN-ORDER", "x@example.com")
    assert _open(client, "NOT-AN-ORDER", "x@example.com").status_code == 429


def test_public_lookups_are_rate_limited_per_address(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", public_rate_limit="3/minute")
    with TestClient(create_app(settings)) as limited:
        answers = [limited.get("/api/v1/tracking/OT0000000000X") for _ in range(3)]
        assert [a.status_code for a in answers] == [404, 404, 404]
        for path in ("/api/v1/tracking/OT0000000000X", "/api/v1/tracking/OT0000000000X/events"):
            refused = limited.get(path)
            assert refused.status_code == 429
            assert refused.headers["content-type"] == "application/problem+json"
            assert 0 < int(refused.headers["retry-after"]) <= 60
            assert refused.json()["status"] == 429
        # A person at a page gets a page: what happened and when to try again.
        for page in (limited.get("/t/OT0000000000X"), limited.post("/track/order", data={"order_number": "1"})):
            assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
            wait = int(page.headers["retry-after"])
            assert 0 < wait <= 60
            assert "Too many requests" in page.text
            assert re.search(rf"try again in {wait} seconds?</strong> \(after \d\d:\d\d:\d\d UTC\)", page.text)


def test_zero_turns_the_rate_limit_off(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", public_rate_limit="0")
    with TestClient(create_app(settings)) as unlimited:
        assert all(unlimited.get("/t/OT0000000000X").status_code == 404 for _ in range(30))


def test_every_response_carries_the_security_headers(
    client: TestClient, make_order: Callable[..., dict[str, Any]]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    for path in (f"/t/{number}", "/", f"/api/v1/tracking/{number}", "/static/css/ordertrail.css", "/t/nope"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-robots-tag"] == "noindex"
