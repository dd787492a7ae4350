"""The parcel list over the API (keys and staff sessions) and the console pages, on a real store: search by
pasted numbers, email and name; every filter; sorting and cursors; the CSV export of exactly the filtered set;
and merchant isolation in every list, search, count and export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.app import create_app
from ordertrail.services.console import parcels as parcel_list
from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body
from tests.support.staff import FAST_HASHING, staff_user

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", **FAST_HASHING)


class Shops:
    """Shop A (five orders, one of them two parcels) and Shop B (three orders), with a few scans; the same
    customer (Ada) buys from both."""

    def __init__(self, client: TestClient, make_key: Callable[..., str]) -> None:
        self.client = client
        self.key_a = make_key("merchant", merchant="Shop A")
        self.key_b = make_key("merchant", merchant="Shop B")
        self.admin = make_key("admin", name="root")
        self.scanner = make_key("scanner", name="hub")
        self.numbers: dict[str, list[str]] = {}
        self.place("A-1", self.key_a, T0, name="Ada Lovelace", email="ada@example.com", country="GB")
        self.place("A-2", self.key_a, T0 + timedelta(hours=1), name="Grace Hopper", email="grace@example.com")
        self.place("A-3", self.key_a, T0 + timedelta(hours=2), name="Alan Turing", email="alan@example.com", parcels=2)
        self.place("A-4", self.key_a, T0 + timedelta(hours=3), name='=HYPERLINK("http://x")', email="f@example.com")
        self.place(
            "A-5", self.key_a, T0 + timedelta(hours=4), name="Edsger Dijkstra", email="e@example.nl", country="NL"
        )
        self.place("B-1", self.key_b, T0 + timedelta(minutes=30), name="Ada Lovelace", email="ada@example.com")
        self.place("B-2", self.key_b, T0 + timedelta(hours=5), name="Barbara Liskov", email="barbara@example.com")
        self.place("B-3", self.key_b, T0 + timedelta(hours=6), name="Ken Thompson", email="ken@example.com")
        now = datetime.now(UTC)
        self.scan("A-1", "dispatched", now - timedelta(hours=5), facility="Depot East")
        self.scan("A-1", "exception", now - timedelta(hours=4), facility="Hub North", reason="damaged")
        self.scan("A-2", "dispatched", now - timedelta(hours=3), facility="Hub North")
        self.scan("A-2", "in_transit", now - timedelta(hours=2), facility="Depot East")
        self.scan("B-1", "exception", now - timedelta(hours=1), facility="Hub North", reason="damaged")

    def place(
        self, number: str, key: str, placed: datetime, *, name: str, email: str, country: str = "GB", parcels: int = 1
    ) -> None:
        body = order_body(
            order_number=number,
            placed_at=placed.isoformat(),
            customer={"name": name, "email": email},
            destination={"line1": "1 Road", "city": "Town", "postal_code": "1000", "country": country},
            parcels=[{"weight_grams": 500 + i} for i in range(parcels)],
        )
        response = self.client.post("/api/v1/orders", json=body, headers=auth(key))
        assert response.status_code == 201, response.text
        self.numbers[number] = [p["tracking_number"] for p in response.json()["parcels"]]

    def scan(self, order: str, status: str, at: datetime, *, facility: str, reason: str | None = None) -> None:
        body = scan_body(self.numbers[order][0], status, at=at, location={"facility": facility, "country": "GB"})
        if reason:
            body["reason"] = reason
        response = self.client.post("/api/v1/scans", json=body, headers=auth(self.scanner))
        assert response.status_code == 201, response.text

    def listed(self, key: str | None = None, **params: Any) -> list[str]:
        """Order numbers listed (one per parcel), in the list's order."""
        return [p["order_number"] for p in self.parcels(key, **params)]

    def parcels(self, key: str | None = None, **params: Any) -> list[dict[str, Any]]:
        headers = auth(key) if key else {}
        response = self.client.get("/api/v1/parcels", params=params, headers=headers)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["parcels"]
        return found


@pytest.fixture
def shops(client: TestClient, make_key: Callable[..., str]) -> Shops:
    return Shops(client, make_key)


def test_merchant_keys_see_only_their_own_parcels_in_every_list_and_search(shops: Shops) -> None:
    assert shops.listed(shops.key_a) == ["A-5", "A-4", "A-3", "A-3", "A-2", "A-1"]  # newest placed first
    assert shops.listed(shops.key_b) == ["B-3", "B-2", "B-1"]
    assert len(shops.listed(shops.admin)) == 9
    # Shop B's numbers, its order numbers and a customer both shops share: nothing of B's reaches A.
    assert shops.listed(shops.key_a, q=shops.numbers["B-1"][0]) == []
    assert shops.listed(shops.key_a, q="B-1 B-2") == []
    assert shops.listed(shops.key_a, q="ada@example.com") == ["A-1"]
    assert shops.listed(shops.key_a, q="Ada") == ["A-1"]
    assert shops.listed(shops.key_a, status="exception") == ["A-1"]
    # Naming another merchant is answered like naming none that exists.
    for name in ("Shop B", "No Such Shop"):
        response = shops.client.get("/api/v1/parcels", params={"merchant": name}, headers=auth(shops.key_a))
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"field": "merchant", "reason": f"No merchant {name!r} among those you can see."}
        ]
    assert shops.listed(shops.admin, merchant="Shop B") == ["B-3", "B-2", "B-1"]
    scanner = shops.client.get("/api/v1/parcels", headers=auth(shops.scanner))
    assert scanner.status_code == 403
    assert shops.client.get("/api/v1/parcels").status_code == 401


def test_search_by_numbers_pasted_at_once_by_email_and_by_name(shops: Shops) -> None:
    pasted = f"  {shops.numbers['A-1'][0].lower()}\n{shops.numbers['A-3'][1]},  A-5;\nnot-a-number "
    assert sorted(shops.listed(shops.admin, q=pasted)) == ["A-1", "A-3", "A-5"]
    assert shops.listed(shops.admin, q="A-3") == ["A-3", "A-3"]  # an order number: all its parcels
    assert shops.listed(shops.admin, q="ADA@example.com") == ["B-1", "A-1"]
    assert shops.listed(shops.admin, q="grace hop") == ["A-2"]
    assert shops.listed(shops.admin, q="100%") == []  # LIKE wildcards are literal
    assert shops.listed(shops.admin, q="   ") == shops.listed(shops.admin)


def test_every_filter(shops: Shops) -> None:
    admin = shops.admin
    assert shops.listed(admin, status="exception") == ["B-1", "A-1"]
    assert shops.listed(admin, status="exception,in_transit") == ["A-2", "B-1", "A-1"]
    assert shops.listed(admin, status=["exception", "in_transit"]) == ["A-2", "B-1", "A-1"]
    assert shops.listed(admin, reason="damaged") == ["B-1", "A-1"]
    # The latest scan's facility (where it is now), not every facility it passed.
    assert shops.listed(admin, facility="Hub North") == ["B-1", "A-1"]
    assert shops.listed(admin, facility="Depot East") == ["A-2"]
    assert shops.listed(admin, country="nl") == ["A-5"]
    window = {
        "placed_after": (T0 + timedelta(hours=1)).isoformat(),
        "placed_before": (T0 + timedelta(hours=3)).isoformat(),
    }
    assert shops.listed(admin, **window) == ["A-3", "A-3", "A-2"]
    assert shops.listed(admin, placed_after="2026-11-02", placed_before="2026-11-03") == shops.listed(admin)
    assert shops.listed(admin, placed_after="2026-11-03") == []
    # Delayed or not: the two lists split the whole one (which parcels are delayed is docs/eta.md's business).
    delayed = {p["tracking_number"] for p in shops.parcels(admin, delayed="true")}
    on_time = {p["tracking_number"] for p in shops.parcels(admin, delayed="false")}
    assert delayed.isdisjoint(on_time) and len(delayed | on_time) == 9
    assert all(p["delayed"] for p in shops.parcels(admin, delayed="true"))
    assert shops.listed(admin, stalled="true") == []
    assert len(shops.listed(admin, stalled="false")) == 9
    assert shops.listed(admin, merchant="Shop A", status="exception", facility="Hub North", country="GB") == ["A-1"]
    document = shops.parcels(admin, q="A-1")[0]
    assert document["status"] == "exception" and document["reason"] == "damaged" and document["merchant"] == "Shop A"
    assert document["customer_email"] == "ada@example.com" and document["placed_at"] == T0.isoformat()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost_in_space"}, "status"),
        ({"reason": "gremlins"}, "reason"),
        ({"country": "GBR"}, "country"),
        ({"placed_after": "yesterday"}, "placed_after"),
        ({"placed_before": "2026-11-02T09:00:00"}, "placed_before"),
        ({"delayed": "maybe"}, "delayed"),
        ({"sort": "customer"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"q": " ".join(f"OT{i}" for i in range(201))}, "q"),
    ],
)
def test_bad_parameters_are_problems_naming_the_field(shops: Shops, params: dict[str, str], field: str) -> None:
    response = shops.client.get("/api/v1/parcels", params=params, headers=auth(shops.admin))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("sort", ["-placed_at", "placed_at", "-last_event_at", "last_event_at"])
def test_cursor_pages_walk_the_whole_list_once_in_order(shops: Shops, sort: str) -> None:
    expected = shops.parcels(shops.admin, sort=sort, limit=200)
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = shops.client.get("/api/v1/parcels", params=params, headers=auth(shops.admin)).json()
        seen += body["parcels"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [p["tracking_number"] for p in seen] == [p["tracking_number"] for p in expected]
    assert len(seen) == 9
    key = sort.lstrip("-")
    values = [p[key] for p in seen]
    assert values == sorted(values, reverse=sort.startswith("-"))
    first = shops.client.get("/api/v1/parcels", params={"sort": sort, "limit": 2}, headers=auth(shops.admin)).json()
    other = "placed_at" if key != "placed_at" else "last_event_at"
    mixed = shops.client.get(
        "/api/v1/parcels", params={"sort": other, "cursor": first["next_cursor"]}, headers=auth(shops.admin)
    )
    assert mixed.status_code == 422 and mixed.json()["errors"][0]["field"] == "cursor"


def test_a_merchant_user_sees_none_of_another_shops_parcels_in_pages_lists_searches_counts_or_exports(
    shops: Shops, run_services: Callable[..., Any], settings: Settings
) -> None:
    client = shops.client
    staff_user(client, run_services, settings, "owner@shop-a.example", "merchant", "Shop A")
    b_number = shops.numbers["B-1"][0]

    overview = client.get("/console")
    assert overview.status_code == 200 and "6 parcels of Shop A" in overview.text
    listing = client.get("/console/parcels")
    assert listing.status_code == 200
    assert all(n in listing.text for n in ("A-1", "A-5")) and "B-1" not in listing.text and "Shop B" not in listing.text
    for q, expected in (
        (b_number, []),
        ("B-1", []),
        ("ada@example.com", ["A-1"]),
        ("Ada Lovelace", ["A-1"]),
        ("Barbara", []),
    ):
        page = client.get("/console/parcels", params={"q": q})
        assert page.status_code == 200
        assert _rows(page.text) == expected, q
    assert client.get("/console/parcels", params={"merchant": "Shop B"}).status_code == 422

    # The API answers the session with the same rules.
    assert [p["order_number"] for p in shops.parcels(q=f"{b_number} B-2 A-2")] == ["A-2"]
    assert shops.client.get("/api/v1/parcels", params={"merchant": "Shop B"}).status_code == 422

    export = client.get("/console/parcels.csv")
    assert export.status_code == 200 and export.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert sorted(r["order_number"] for r in rows) == ["A-1", "A-2", "A-3", "A-3", "A-4", "A-5"]
    assert client.get("/console/parcels.csv", params={"q": b_number}).text.count("\n") == 1  # the header alone

    # An operations user given both shops sees both; the audit log shows each user what is theirs.
    other = TestClient(create_app(settings), base_url="http://testserver")  # its own app: its own runtime
    with other:
        staff_user(other, run_services, settings, "ops@example.com", "operations", "Shop A", "Shop B")
        assert "9 parcels of Shop A, Shop B" in other.get("/console").text
        theirs = other.get("/api/v1/audit-log").json()["entries"]
        # Their own actions, and Shop A's entries (the owner's exports), which is one of their merchants.
        assert {e["actor"]["name"] for e in theirs} == {"ops@example.com", "owner@shop-a.example", "tests"}
    audit = client.get("/api/v1/audit-log").json()["entries"]
    assert "ops@example.com" not in {e["actor"]["name"] for e in audit}
    assert [e["action"] for e in audit][:2] == ["parcels.exported", "parcels.exported"]


def _rows(html: str) -> list[str]:
    """The order numbers in the page's table (the search box and links above it repeat what was typed)."""
    if "<tbody>" not in html:
        assert "No parcels match these filters." in html
        return []
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r'<td data-label="Order">([^<]+)', body)


def test_the_export_streams_exactly_the_filtered_set_in_batches_and_defuses_formulas(
    shops: Shops, run_services: Callable[..., Any], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parcel_list, "EXPORT_BATCH", 2)  # so that the set spans several batches
    client = shops.client
    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A", "Shop B")
    for params in ({}, {"status": "order_placed"}, {"merchant": "Shop A", "sort": "placed_at"}, {"q": "A-3 B-3"}):
        page = client.get("/api/v1/parcels", params={**params, "limit": 200}).json()["parcels"]
        export = client.get("/console/parcels.csv", params=params)
        rows = list(csv.DictReader(io.StringIO(export.text)))
        assert [r["tracking_number"] for r in rows] == [p["tracking_number"] for p in page], params
    export = client.get("/console/parcels.csv", params={"q": "A-4"})
    assert export.headers["content-disposition"].startswith('attachment; filename="parcels-')
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows[0]["customer_name"] == '\'=HYPERLINK("http://x")'
    exported = client.get("/api/v1/audit-log", params={"action": "parcels.exported"}).json()["entries"][0]
    assert exported["detail"] == {"q": "A-4"} and exported["actor"]["name"] == "ops@example.com"


def test_a_viewer_finds_parcels_by_email_but_is_never_shown_a_customers_email(
    shops: Shops, run_services: Callable[..., Any], settings: Settings
) -> None:
    client = shops.client
    staff_user(client, run_services, settings, "look@example.com", "viewer", "Shop A")
    # Search by email still works (the viewer was told it), the list, the API and the export never show one.
    page = client.get("/console/parcels", params={"q": "ada@example.com"})
    assert page.status_code == 200 and _rows(page.text) == ["A-1"]
    listing = client.get("/console/parcels").text
    assert "Ada Lovelace" in listing and "@example" not in listing.replace("look@example.com", "")
    assert {p["customer_email"] for p in shops.parcels()} == {None}
    rows = list(csv.DictReader(io.StringIO(client.get("/console/parcels.csv").text)))
    assert len(rows) == 6 and {r["customer_email"] for r in rows} == {""}
    # Support, whose role shows contacts, sees them.
    other = TestClient(create_app(settings), base_url="http://testserver")
    with other:
        staff_user(other, run_services, settings, "help@example.com", "support", "Shop A")
        listed = other.get("/api/v1/parcels", params={"q": "A-1"}).json()["parcels"]
        assert [p["customer_email"] for p in listed] == ["ada@example.com"]
