"""Marking an exception handled (POST /api/v1/parcels/{n}/exception/handled and the parcel page's form) on a real
store: the parcel leaves the exceptions queue (the overview's counts and the list's handled=false) until its next
exception; the handling is on the timeline and in the audit log; retries are safe; support and viewers may not,
and nobody handles another merchant's parcel."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.app import create_app
from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body
from tests.support.staff import FAST_HASHING, csrf_of, staff_user

DONE = "Called the depot: the box is re-taped\nand goes out again tomorrow."


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", **FAST_HASHING)


def _damaged(client: TestClient, key: str, scanner: str, order_number: str, *, at: datetime) -> str:
    placed = (at - timedelta(hours=3)).isoformat()
    made = client.post(
        "/api/v1/orders", json=order_body(order_number=order_number, placed_at=placed), headers=auth(key)
    )
    assert made.status_code == 201, made.text
    number: str = made.json()["parcels"][0]["tracking_number"]
    for hours, status in ((2, "dispatched"), (1, "in_transit")):
        body = scan_body(number, status, at=at - timedelta(hours=hours))
        assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
    body = scan_body(number, "exception", at=at, reason="damaged")
    assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
    return number


def _queue(client: TestClient, headers: dict[str, str] | None = None, **params: str) -> list[str]:
    query = {"status": "exception", "limit": "200", **params}
    response = client.get("/api/v1/parcels", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return [p["tracking_number"] for p in response.json()["parcels"]]


def _tile(html: str) -> int:
    found = re.search(
        r'href="/console/parcels\?status=exception&amp;handled=false"><span class="tile-count">(\d+)', html
    )
    assert found is not None
    return int(found.group(1))


def test_an_operations_user_marks_an_exception_handled_from_the_page_and_it_leaves_the_queue(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    shop, scanner = make_key("merchant", merchant="Shop A"), make_key("scanner")
    now = datetime.now(UTC) - timedelta(hours=1)
    number = _damaged(client, shop, scanner, "A-1", at=now)
    other = _damaged(client, shop, scanner, "A-2", at=now)
    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    assert _tile(client.get("/console").text) == 2
    assert sorted(_queue(client, handled="false")) == sorted([number, other])

    page = client.get(f"/console/parcels/{number}")
    assert "Mark the exception handled" in page.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text.split('id="handled"')[1])
    assert key is not None
    form = {"what_was_done": DONE, "idempotency_key": key.group(1)}
    path = f"/console/parcels/{number}/exception/handled"
    assert client.post(path, data=form, follow_redirects=False).status_code == 403  # no CSRF token: nothing done
    assert _tile(client.get("/console").text) == 2
    form["csrf_token"] = csrf_of(page.text)
    done = client.post(path, data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/console/parcels/{number}?done=handled#timeline"
    again = client.post(path, data=form, follow_redirects=False)  # the form submitted twice: one handling
    assert again.status_code == 303

    shown = client.get(done.headers["location"]).text
    assert "Exception marked handled." in shown and "Mark the exception handled" not in shown
    timeline = client.get(f"/api/v1/parcels/{number}/timeline").json()["timeline"]
    actions = [e for e in timeline if e["kind"] == "action" and e["action"] == "parcel.exception_handled"]
    assert len(actions) == 1 and actions[0]["detail"]["what_was_done"] == DONE
    assert actions[0]["actor"]["name"] == "ops@example.com"
    log = client.get("/api/v1/audit-log", params={"action": "parcel.exception_handled"}).json()["entries"]
    assert [(e["tracking_number"], e["detail"]["what_was_done"]) for e in log] == [(number, DONE)]

    # Out of the queue: the overview's tile and its party link, and the list's handled=false; still an exception.
    overview = client.get("/console").text
    assert _tile(overview) == 1
    assert _queue(client, handled="false") == [other] and _queue(client, handled="true") == [number]
    assert sorted(_queue(client)) == sorted([number, other])

    # A new exception is a new one: back in the queue, with a form again.
    later = now + timedelta(minutes=30)
    for status, minutes in (("in_transit", 10), ("exception", 20)):
        body = scan_body(number, status, at=later + timedelta(minutes=minutes), reason="incomplete_address")
        if status == "in_transit":
            body.pop("reason")
        assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
    assert sorted(_queue(client, handled="false")) == sorted([number, other])
    assert "Mark the exception handled" in client.get(f"/console/parcels/{number}").text


def test_keys_retry_safely_and_support_viewers_and_other_merchants_may_not(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    ours, theirs, scanner = (
        make_key("merchant", merchant="Shop A"),
        make_key("merchant", merchant="Shop B"),
        make_key("scanner"),
    )
    number = _damaged(client, ours, scanner, "A-1", at=datetime.now(UTC) - timedelta(hours=1))
    path = f"/api/v1/parcels/{number}/exception/handled"
    body = {"what_was_done": "Replacement sent"}

    assert client.post(path, json=body, headers=auth(theirs)).status_code == 404
    assert client.post(path, json=body, headers=auth(scanner)).status_code == 403
    for bad in ({"what_was_done": "  "}, {"what_was_done": "x" * 1001}, {"what_was_done": "bell\x07"}):
        refused = client.post(path, json=bad, headers=auth(ours))
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "what_was_done", refused.text
    bad_key = client.post(path, json=body, headers={**auth(ours), "Idempotency-Key": "has space"})
    assert bad_key.status_code == 422 and bad_key.json()["errors"][0]["field"] == "Idempotency-Key"

    other = TestClient(create_app(settings), base_url="http://testserver")
    with other:
        for email, role in (("help@example.com", "support"), ("look@example.com", "viewer")):
            staff_user(other, run_services, settings, email, role, "Shop A")
            page = other.get(f"/console/parcels/{number}").text
            assert "Mark the exception handled" not in page
            token = {"X-CSRF-Token": csrf_of(page)}
            assert other.post(path, json=body, headers=token).status_code == 403, role
    assert _queue(client, auth(ours), handled="false") == [number]  # the refusals changed nothing

    first = client.post(path, json=body, headers={**auth(ours), "Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.text
    assert first.json()["what_was_done"] == "Replacement sent" and "Idempotent-Replayed" not in first.headers
    retried = client.post(path, json=body, headers={**auth(ours), "Idempotency-Key": "k-1"})
    assert retried.status_code == 201 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json() == first.json()
    same_words = client.post(path, json=body, headers=auth(ours))  # a retry without the key: the same words
    assert same_words.status_code == 201 and same_words.headers["Idempotent-Replayed"] == "true"
    reused = client.post(path, json={"what_was_done": "Refunded"}, headers={**auth(ours), "Idempotency-Key": "k-1"})
    assert reused.status_code == 409 and reused.json()["errors"][0]["field"] == "Idempotency-Key"
    late = client.post(path, json={"what_was_done": "Refunded"}, headers=auth(ours))
    assert late.status_code == 409 and "marked this exception handled" in late.json()["detail"]

    admin = make_key("admin")
    log = client.get("/api/v1/audit-log", params={"action": "parcel.exception_handled"}, headers=auth(admin))
    assert len(log.json()["entries"]) == 1  # one handling, however many retries
    assert _queue(client, auth(ours), handled="false") == [] and _queue(client, auth(ours)) == [number]

    moving = client.post("/api/v1/orders", json=order_body(order_number="A-2"), headers=auth(ours)).json()
    fine = moving["parcels"][0]["tracking_number"]
    refused = client.post(f"/api/v1/parcels/{fine}/exception/handled", json=body, headers=auth(ours))
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "tracking_number"
