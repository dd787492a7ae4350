"""Handing a parcel to a courier over HTTP: checked numbers, merchant scoping, and the public page's courier link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import auth

UPS_NUMBER = "1Z5R89390357567127"


def _handover(client: TestClient, key: str, number: str, **body: Any) -> Any:
    return client.post(f"/api/v1/parcels/{number}/handover", json=body, headers=auth(key))


def test_a_recognised_number_gets_the_couriers_page_and_shows_on_the_public_page(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    merchant = make_key("merchant", merchant="Test Shop")
    response = _handover(client, merchant, number, courier="ups", tracking_number="1z5r 8939 0357 5671 27")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["tracking_number"], body["courier_name"], body["recognised"]) == (UPS_NUMBER, "UPS", True)
    assert body["tracking_url"].startswith("https://wwwapps.ups.com/") and UPS_NUMBER in body["tracking_url"]

    public = client.get(f"/api/v1/tracking/{number}").json()  # the cached document refreshes
    assert public["courier"] == {
        "code": "ups",
        "name": "UPS",
        "tracking_number": UPS_NUMBER,
        "service_level": None,
        "tracking_url": body["tracking_url"],
    }
    page = client.get(f"/t/{number}").text
    assert 'class="courier-link" href="https://wwwapps.ups.com/' in page


def test_an_unknown_couriers_number_is_taken_as_given_with_the_senders_link(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    merchant = make_key("merchant", merchant="Test Shop")
    url = "https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB"
    body = _handover(
        client,
        merchant,
        number,
        courier="royal_mail",
        tracking_number="XY-1234",
        service_level="tracked48",
        tracking_url=url,
    ).json()
    assert (body["recognised"], body["tracking_url"], body["service_level"]) == (False, url, "tracked48")
    assert client.get(f"/api/v1/tracking/{number}").json()["courier"]["name"] == "ROYAL_MAIL"


def test_refusals_name_the_field_and_other_merchants_parcels_are_not_found(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]
) -> None:
    number, other = (p["tracking_number"] for p in make_order(parcels=[{}, {}])["parcels"])
    merchant = make_key("merchant", merchant="Test Shop")

    def field_of(response: Any) -> str:
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        return str(response.json()["errors"][0]["field"])

    assert field_of(_handover(client, merchant, number, courier="ups", tracking_number="1Z5R89390357567128")) == (
        "tracking_number"  # a UPS number whose check digit fails
    )
    link = _handover(client, merchant, number, courier="ups", tracking_number="X1234", tracking_url="javascript:x")
    assert field_of(link) == "tracking_url"
    assert field_of(_handover(client, merchant, number, courier="U P S", tracking_number="X1234")) == "courier"
    assert client.get(f"/api/v1/tracking/{number}").json()["courier"] is None

    assert _handover(client, merchant, number, courier="ups", tracking_number=UPS_NUMBER).status_code == 200
    taken = _handover(client, merchant, other, courier="ups", tracking_number=UPS_NUMBER)
    assert taken.status_code == 409
    stranger = make_key("merchant", merchant="Other Shop")
    assert _handover(client, stranger, number, courier="dhl", tracking_number="X1234").status_code == 404
    scanner = make_key("scanner")
    assert _handover(client, scanner, number, courier="dhl", tracking_number="X1234").status_code == 403
