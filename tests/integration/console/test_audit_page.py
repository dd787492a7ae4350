"""The audit log's console page and its CSV export (/console/audit, /console/audit.csv) on a real store: the same
entries as GET /api/v1/audit-log, every filter, cursor pages that neither repeat nor skip, an export of exactly
the filtered set (formulas defused, itself audited), and merchant scoping (shop A's user sees none of shop B's
entries on the page, in its pages or in the export)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from ordertrail.app import create_app
from ordertrail.settings import Settings
from tests.conftest import auth, order_body
from tests.support.staff import staff_user

_ROW = re.compile(r'<td data-label="Action" class="mono">([^<]+)</td>')
_PARCEL = re.compile(r'<a class="mono" href="/console/parcels/([A-Z0-9]+)">')


def _parcel(client: TestClient, key: str, order_number: str) -> str:
    placed = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    response = client.post(
        "/api/v1/orders", json=order_body(order_number=order_number, placed_at=placed), headers=auth(key)
    )
    assert response.status_code == 201, response.text
    number: str = response.json()["parcels"][0]["tracking_number"]
    return number


def _note(client: TestClient, key: str, number: str, text: str) -> None:
    response = client.post(f"/api/v1/parcels/{number}/notes", json={"message": text}, headers=auth(key))
    assert response.status_code == 201, response.text


def _shops(client: TestClient, make_key: Callable[..., str]) -> dict[str, Any]:
    """Two shops, a parcel each; shop A's key is named like a spreadsheet formula, and notes 52 times."""
    a = make_key("merchant", merchant="Shop A", name="@SUM(1+1)")
    b = make_key("merchant", merchant="Shop B", name="shop b backend")
    a_number, b_number = _parcel(client, a, "A-1"), _parcel(client, b, "B-1")
    for i in range(52):
        _note(client, a, a_number, f"A's note {i}")
    _note(client, b, b_number, "B's secret")
    return {"a": a, "b": b, "a_number": a_number, "b_number": b_number}


def test_a_merchant_user_pages_through_and_exports_only_its_own_shops_entries(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    shops = _shops(client, make_key)
    staff_user(client, run_services, settings, "owner@shop-a.example", "merchant", "Shop A")

    first = client.get("/console/audit", params={"action": "parcel.note_added"})
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    assert _ROW.findall(first.text) == ["parcel.note_added"] * 50
    assert shops["b_number"] not in first.text and "B&#39;s secret" not in first.text
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert next_link is not None
    second = client.get(next_link.group(1).replace("&amp;", "&"))
    assert _ROW.findall(second.text) == ["parcel.note_added"] * 2 and 'rel="next"' not in second.text
    texts = re.findall(r"A&#39;s note (\d+)", first.text + second.text)
    assert sorted(map(int, texts)) == list(range(52))  # each note once over the two pages, newest first
    assert texts[0] == "51"

    # The export holds exactly the filtered set, with the key's formula-like name defused.
    export = client.get("/console/audit.csv", params={"action": "parcel.note_added"})
    assert export.status_code == 200 and export.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 52 and {r["tracking_number"] for r in rows} == {shops["a_number"]}
    assert {r["actor"] for r in rows} == {"'@SUM(1+1)"} and {r["merchant"] for r in rows} == {"Shop A"}
    assert "B's secret" not in export.text
    # Unfiltered, shop B's entries stay out too; the user's own sign-in is there.
    everything = list(csv.DictReader(io.StringIO(client.get("/console/audit.csv").text)))
    assert shops["b_number"] not in {r["tracking_number"] for r in everything}
    assert "session.signed_in" in {r["action"] for r in everything}
    # Searching for B's parcel by number finds nothing rather than B's entries.
    assert _ROW.findall(client.get("/console/audit", params={"tracking_number": shops["b_number"]}).text) == []

    # Each export is itself an entry, with its filters.
    (logged, *_) = client.get("/api/v1/audit-log", params={"action": "audit_log.exported"}).json()["entries"]
    assert logged["actor"]["name"] == "owner@shop-a.example" and logged["detail"] == {}


def test_every_filter_narrows_the_page_as_the_api_does(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    shops = _shops(client, make_key)
    admin = make_key("admin")
    other = TestClient(create_app(settings), base_url="http://testserver")
    with other:
        staff_user(other, run_services, settings, "root@example.com", "admin")
        today = datetime.now(UTC).date()
        cases: list[dict[str, str]] = [
            {"tracking_number": shops["b_number"].lower()},
            {"order_number": "A-1", "action": "parcel.note_added"},
            {"actor": "shop b backend"},
            {"actor": "ROOT@example.com"},
            {"after": today.isoformat()},
            {"before": today.isoformat()},
            {"after": (today - timedelta(days=1)).isoformat(), "before": (today + timedelta(days=1)).isoformat()},
        ]
        for params in cases:
            page = other.get("/console/audit", params=params)
            assert page.status_code == 200, (params, page.text)
            api = _api_entries(client, admin, params)
            assert _ROW.findall(page.text) == [e["action"] for e in api][:50], params
        assert len(_ROW.findall(other.get("/console/audit", params=cases[0]).text)) == 1
        assert _PARCEL.findall(other.get("/console/audit", params=cases[2]).text) == [shops["b_number"]]
        assert _ROW.findall(other.get("/console/audit", params=cases[5]).text) == []

        refused = other.get("/console/audit", params={"action": "parcel.eaten", "after": "yesterday", "before": "x"})
        assert refused.status_code == 422
        for field in ("action", "after", "before"):
            assert f'href="#a-{field}"' in refused.text, field


def _api_entries(client: TestClient, admin: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """The API's answer for the page's filters (dates as the page reads them: a day from its first instant)."""
    query = dict(params)
    for name in ("after", "before"):
        if name in query:
            midnight = datetime.fromisoformat(query[name]).replace(tzinfo=UTC)
            query[name] = (midnight - timedelta(microseconds=1) if name == "after" else midnight).isoformat()
    response = client.get("/api/v1/audit-log", params={**query, "limit": 200}, headers=auth(admin))
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def test_a_viewer_reads_the_log_and_signed_out_visitors_are_sent_to_sign_in(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    assert client.get("/console/audit", follow_redirects=False).headers["location"].startswith("/console/login")
    assert client.get("/console/audit.csv", follow_redirects=False).status_code == 303
    make_key("merchant", merchant="Shop A")
    staff_user(client, run_services, settings, "look@example.com", "viewer", "Shop A")
    page = client.get("/console/audit")
    assert page.status_code == 200 and "session.signed_in" in page.text and 'aria-current="page">Audit log' in page.text
