"""A history loaded through the API, read back for ``eta backtest --from-store``: the journeys keep both axes'
regions (the origin facility's scan region, the order's destination region), so the two-axis keys apply."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from ordertrail.demo.history import delivered_journeys
from ordertrail.domain.estimating import LaneLevel
from tests.conftest import auth, scan_body

PLACED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_store_journeys_carry_origin_and_destination_regions(
    client: TestClient,
    make_order: Callable[..., dict[str, Any]],
    make_key: Callable[..., str],
    run_services: Callable[..., Any],
) -> None:
    order = make_order(
        placed_at=PLACED.isoformat(),
        destination={"line1": "1 Market St", "city": "San Francisco", "region": "CA", "postal_code": "94107",
                     "country": "US"},
    )  # fmt: skip
    number = order["parcels"][0]["tracking_number"]
    scanner = make_key("scanner")
    seller = {"facility": "Seller 7", "region": "NY", "country": "US"}
    for status, hours, where in (("dispatched", 3, seller), ("delivered", 50, {"city": "San Francisco"})):
        body = scan_body(number, status, at=PLACED + timedelta(hours=hours), location=where)
        assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code in (200, 201)

    [journey] = run_services(delivered_journeys)
    assert journey.tracking_number == number
    assert (journey.lane.origin, journey.lane.origin_region, journey.lane.region) == ("Seller 7", "US-NY", "CA")
    assert journey.region == "CA"
    levels = dict(journey.lane.fallbacks())
    assert levels[LaneLevel.REGION_AREA] == "region:US-NY>US-94"
    assert levels[LaneLevel.REGION_REGION] == "region:US-NY>US:CA"
