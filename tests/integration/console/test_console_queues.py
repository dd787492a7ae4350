"""The overview's queues and the unmatched-scans page, as people use them: exceptions by who must act and by
reason, failed attempts by reason, each count a link to exactly the parcels it counted; unmatched scans listed and
attached from the page (operations and admins only)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.domain.tracking.tracking_number import generate
from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body
from tests.support.staff import FAST_HASHING, csrf_of, staff_user


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", **FAST_HASHING)


def _parcel(client: TestClient, key: str, number: str) -> str:
    placed = (datetime.now(UTC) - timedelta(hours=4)).isoformat()
    response = client.post("/api/v1/orders", json=order_body(order_number=number, placed_at=placed), headers=auth(key))
    assert response.status_code == 201, response.text
    tracking_number: str = response.json()["parcels"][0]["tracking_number"]
    return tracking_number


def _tile(html: str, href: str) -> int:
    found = re.search(re.escape(f'href="{href}"') + r'><span class="tile-count">(\d+)</span>', html)
    assert found is not None, href
    return int(found.group(1))


def _listed(client: TestClient, href: str) -> int:
    query = unescape(href).split("?", 1)[1]
    response = client.get(f"/api/v1/parcels?{query}&limit=200")
    assert response.status_code == 200, response.text
    return len(response.json()["parcels"])


def test_the_overview_counts_held_up_parcels_by_who_acts_and_why_each_a_link_to_them(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    ours, theirs, scanner = make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B"), \
        make_key("scanner")  # fmt: skip
    held = {"damaged": 2, "customs_hold": 1, "missing_documents": 1}
    for reason, count in held.items():
        for i in range(count):
            number = _parcel(client, ours, f"{reason}-{i}")
            body = scan_body(number, "exception", reason=reason)
            assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
    missed = _parcel(client, ours, "missed")
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    for body in (
        scan_body(missed, "out_for_delivery", at=an_hour_ago),
        scan_body(missed, "delivery_attempted", reason="nobody_home"),
    ):
        assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
    other = _parcel(client, theirs, "other-shop")  # another shop's exception: never counted for Shop A
    assert client.post("/api/v1/scans", json=scan_body(other, "exception", reason="damaged"),
                       headers=auth(scanner)).status_code == 201  # fmt: skip

    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    html = client.get("/console").text
    expected = {"carrier": 2, "customs": 1, "merchant": 1, "recipient": 0}
    for party, count in expected.items():
        href = f"/console/parcels?status=exception&amp;handled=false&amp;party={party}"
        assert _tile(html, href) == count == _listed(client, href), party
    for reason, count in held.items():
        href = f"/console/parcels?status=exception&amp;handled=false&amp;reason={reason}"
        row = re.search(re.escape(f'<a href="{href}">') + r".*?</td><td>Exception</td><td class=\"num\">(\d+)", html)
        assert row is not None and int(row.group(1)) == count == _listed(client, href), reason
    assert "/console/parcels?status=delivery_attempted&amp;reason=nobody_home" in html
    assert _tile(html, "/console/unmatched") == 0
    bad = client.get("/api/v1/parcels?party=aliens")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "party"


def test_unmatched_scans_are_attached_from_their_page_by_operations_only(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    merchant, scanner = make_key("merchant", merchant="Shop A"), make_key("scanner")
    number = _parcel(client, merchant, "U-1")
    misread = generate()
    assert client.post("/api/v1/scans", json=scan_body(misread, "packed"), headers=auth(scanner)).status_code == 404

    staff_user(client, run_services, settings, "help@example.com", "support", "Shop A")
    assert "/console/unmatched" not in client.get("/console").text
    assert client.get("/console/unmatched").status_code == 403

    client.cookies.clear()
    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    assert _tile(client.get("/console").text, "/console/unmatched") == 1
    page = client.get("/console/unmatched").text
    assert misread in page
    form = re.search(r'action="(/console/unmatched/\d+/attach)"', page)
    assert form is not None
    token = csrf_of(page)
    wrong = client.post(form.group(1), data={"csrf_token": token, "tracking_number": "OTNOTAPARCEL1"})
    assert wrong.status_code == 404 and misread in wrong.text  # still listed
    done = client.post(form.group(1), data={"csrf_token": token, "tracking_number": number}, follow_redirects=False)
    assert done.status_code == 303
    after = client.get(done.headers["location"]).text
    assert f"Scan attached to {number}." in after and misread not in after
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "packed"
