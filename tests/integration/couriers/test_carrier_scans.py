"""Handover by scan: a dispatched scan's carrier block records the handover in the scan's transaction, checked
like the API's; a bad block is refused (422, or `invalid` in its place in a batch) and records nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import auth, scan_body
from tests.integration.couriers.test_carrier_events import Courier, event, outcomes

UPS_NUMBER = "1Z5R89390357567127"
BAD_UPS_NUMBER = "1Z5R89390357567128"  # a UPS format whose check digit fails


def _carrier(**overrides: Any) -> dict[str, Any]:
    return {"courier": "ups", "tracking_number": "1z5r 8939 0357 5671 27", "service_level": "express", **overrides}


def _status(client: TestClient, number: str) -> str:
    status: str = client.get(f"/api/v1/tracking/{number}").json()["status"]
    return status


def test_a_dispatch_scan_with_a_carrier_block_hands_the_parcel_over_and_takes_the_couriers_kept_events(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    scanner, admin = make_key("scanner"), make_key("admin")
    start = datetime.now(UTC) - timedelta(hours=3)
    # The courier's event came before anyone named its number: kept, and recorded once the scan hands it over.
    ups = Courier(client, admin)
    assert outcomes(ups.post([event("k1", "I", start + timedelta(hours=1))])) == ["unmatched"]

    scan = scan_body(number, "dispatched", at=start, carrier=_carrier())
    response = client.post("/api/v1/scans", json=scan, headers=auth(scanner))
    assert response.status_code == 201, response.text
    courier = client.get(f"/api/v1/tracking/{number}").json()["courier"]
    assert (courier["code"], courier["tracking_number"], courier["service_level"]) == ("ups", UPS_NUMBER, "express")
    assert courier["tracking_url"].startswith("https://wwwapps.ups.com/")  # recognised: the library's page
    assert _status(client, number) == "in_transit"  # the kept event joined the timeline behind the scan
    # A retry is a duplicate; the same event id with another carrier is a conflict.
    assert client.post("/api/v1/scans", json=scan, headers=auth(scanner)).status_code == 200
    other = {**scan, "carrier": _carrier(service_level="standard")}
    assert client.post("/api/v1/scans", json=other, headers=auth(scanner)).status_code == 409


def test_a_bad_carrier_block_is_refused_naming_its_field_and_records_nothing(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]
) -> None:
    number, taken = (make_order()["parcels"][0]["tracking_number"] for _ in range(2))
    merchant, scanner = make_key("merchant", merchant="Test Shop"), make_key("scanner")
    assert client.post(f"/api/v1/parcels/{taken}/handover", json={"courier": "dpd", "tracking_number": "DPD-9"},
                       headers=auth(merchant)).is_success  # fmt: skip

    def refused(body: dict[str, Any]) -> list[str]:
        response = client.post("/api/v1/scans", json=body, headers=auth(scanner))
        assert response.status_code == 422, response.text
        return [e["field"] for e in response.json()["errors"]]

    assert refused(scan_body(number, "dispatched", carrier=_carrier(tracking_number=BAD_UPS_NUMBER))) == [
        "carrier.tracking_number"
    ]
    assert refused(scan_body(number, "dispatched", carrier=_carrier(tracking_url="javascript:alert(1)"))) == [
        "carrier.tracking_url"
    ]
    assert refused(scan_body(number, "dispatched", carrier=_carrier(courier="UPS!"))) == ["carrier.courier"]
    assert refused(scan_body(number, "dispatched", carrier={"courier": "ups"})) == ["carrier.tracking_number"]
    assert refused(scan_body(number, "packed", carrier=_carrier())) == ["carrier"]
    # Another parcel's number at that courier: the scan is refused whole.
    assert refused(scan_body(number, "dispatched", carrier={"courier": "dpd", "tracking_number": "DPD-9"})) == [
        "carrier.tracking_number"
    ]
    assert _status(client, number) == "order_placed"
    assert client.get(f"/api/v1/tracking/{number}").json()["courier"] is None


def test_in_a_batch_each_carrier_block_is_answered_in_its_place(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]
) -> None:
    good, bad, plain = (make_order()["parcels"][0]["tracking_number"] for _ in range(3))
    scanner = make_key("scanner")
    batch = {
        "scans": [
            scan_body(good, "dispatched", carrier=_carrier()),
            scan_body(bad, "dispatched", carrier=_carrier(tracking_number=BAD_UPS_NUMBER)),
            scan_body(plain, "dispatched"),
        ]
    }
    response = client.post("/api/v1/scans/batch", json=batch, headers=auth(scanner))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["created", "invalid", "created"]
    assert [e["field"] for e in results[1]["errors"]] == ["scans.1.carrier.tracking_number"]
    assert client.get(f"/api/v1/tracking/{good}").json()["courier"]["tracking_number"] == UPS_NUMBER
    assert _status(client, bad) == "order_placed" and client.get(f"/api/v1/tracking/{bad}").json()["courier"] is None
    assert client.get(f"/api/v1/tracking/{plain}").json()["courier"] is None
