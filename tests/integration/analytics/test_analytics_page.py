"""The console's analytics page for a merchant's staff user: its figures count only that merchant's parcels, and
each number links to the console list of exactly those parcels."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body
from tests.support.staff import FAST_HASHING, staff_user

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", **FAST_HASHING)


def test_page_figures_link_to_exactly_their_parcels(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    scanner = make_key("scanner", name="hub")
    for shop, promised, delivered_after in (("Shop A", "2026-11-03", 74), ("Shop B", "2026-11-03", 5)):
        key = make_key("merchant", merchant=shop)
        body = order_body(placed_at=T0.isoformat(), promised_delivery_date=promised)
        number = client.post("/api/v1/orders", json=body, headers=auth(key)).json()["parcels"][0]["tracking_number"]
        for status, hours in (("dispatched", 2), ("delivered", delivered_after)):
            scan = scan_body(number, status, at=T0 + timedelta(hours=hours))
            assert client.post("/api/v1/scans", json=scan, headers=auth(scanner)).status_code == 201
    staff_user(client, run_services, settings, "owner@shop-a.example", "merchant", "Shop A")
    response = client.get("/console/analytics", params={"from": "2026-11-01", "to": "2026-11-30"})
    assert response.status_code == 200, response.text
    cells = r"On time vs promise</th><td>([^<]*)</td><td><a href=\"([^\"]+)\">(\d+)</a></td>"
    row = re.search(cells + r"<td><a href=\"([^\"]+)\">(\d+)</a>", response.text)
    assert row is not None, response.text
    assert (row.group(1), row.group(3), row.group(5)) == ("0.0 %", "0", "1")  # Shop A's one parcel, late
    link = row.group(4).replace("&amp;", "&")
    assert client.get(link).status_code == 200
    # The same filter over the session's API: exactly the one parcel counted, Shop A's.
    listed = client.get(link.replace("/console/parcels", "/api/v1/parcels")).json()["parcels"]
    assert [p["merchant"] for p in listed] == ["Shop A"]
    assert "style=" not in response.text
    bad = client.get("/console/analytics", params={"from": "2026-11-30", "to": "2026-11-01"})
    assert bad.status_code == 422
