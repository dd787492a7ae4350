"""The verified order view shows what each parcel's tracking page shows: the same "Arriving on" date, regions
named per parcel, and where it is going in the country's own words (town and country, never the street)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient


def _eta(html: str) -> list[str]:
    return re.findall(r'<span class="eta-value js-eta-value"[^>]*>([^<]*)</span>', html)


def test_order_view_arrives_on_the_day_the_tracking_page_says(
    client: TestClient, make_order: Callable[..., dict[str, Any]]
) -> None:
    order = make_order(parcels=[{}, {}])
    numbers = [parcel["tracking_number"] for parcel in order["parcels"]]
    tracking = [_eta(client.get(f"/t/{number}").text) for number in numbers]
    assert all(len(found) == 1 and found[0].strip() for found in tracking), tracking  # the pages show a date

    view = client.post("/track/order", data={"order_number": order["order_number"], "verifier": "ada@example.com"})
    assert view.status_code == 200, view.text
    assert _eta(view.text) == [found[0] for found in tracking]
    for position, number in enumerate(numbers, start=1):
        assert f'aria-labelledby="title-{number}"' in view.text
        assert re.search(rf'id="title-{number}">Parcel {position} of 2 · {number}', view.text)
    assert "London, United Kingdom" in view.text and "12 Analytical Row" not in view.text
