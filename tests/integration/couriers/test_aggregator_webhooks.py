"""Aggregators' webhooks over HTTP: their own signatures, their integrations' couriers, their unmapped codes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from ordertrail.services.context import Services
from ordertrail.storage.couriers import events as event_store
from tests.conftest import auth, scan_body
from tests.integration.couriers.test_aggregator_journey import integration, post_aggregator, post_generic
from tests.support.aggregators import aftership_update, easypost_event, signed

UPS_NUMBER = "1Z5R89390357567127"


def handed_over(client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]) -> str:
    number: str = make_order()["parcels"][0]["tracking_number"]
    at = datetime.now(UTC) - timedelta(hours=5)
    assert client.post(
        "/api/v1/scans", json=scan_body(number, "dispatched", at=at), headers=auth(make_key("scanner"))
    ).is_success
    handover = {"courier": "ups", "tracking_number": UPS_NUMBER}
    merchant = make_key("merchant", merchant="Test Shop")
    assert client.post(f"/api/v1/parcels/{number}/handover", json=handover, headers=auth(merchant)).is_success
    return number


def test_an_unmapped_aggregator_code_is_in_transit_with_the_raw_code_kept(
    client: TestClient,
    make_order: Callable[..., dict[str, Any]],
    make_key: Callable[..., str],
    run_services: Callable[..., Any],
) -> None:
    number = handed_over(client, make_order, make_key)
    aftership = integration(client, make_key("admin"), "aftership", "aftership-secret-0001")
    at = datetime.now(UTC) - timedelta(hours=1)
    held = aftership_update(UPS_NUMBER, [("Exception", "Exception_001", at, "Held at depot")])
    answer = post_aggregator(client, "aftership", *aftership, held)
    assert answer.status_code == 200, answer.text
    (result,) = answer.json()["results"]
    assert (result["outcome"], result["code"], result["mapped"]) == ("created", "Exception/Exception_001", False)
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "in_transit"

    async def codes(services: Services) -> Any:
        known = await services.db.read(lambda c: event_store.known_courier_events(c, [result["event_id"]]))
        parcel_id = known[result["event_id"]].parcel_id
        return await services.db.read(lambda c: event_store.raw_codes(c, parcel_id))

    assert run_services(codes)[result["event_id"]] == ("ups", "Exception/Exception_001", False)


def test_an_aggregator_integration_speaks_for_its_courier_and_its_own_scheme_only(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]
) -> None:
    number = handed_over(client, make_order, make_key)
    admin = make_key("admin")
    easypost = integration(client, admin, "easypost")
    generic = integration(client, admin, "generic")
    at = datetime.now(UTC) - timedelta(hours=1)
    history = easypost_event(UPS_NUMBER, [("in_transit", None, at, "Departed")])
    history["result"]["carrier"] = "USPS"  # another courier's tracker, sent to every EasyPost webhook
    other = post_aggregator(client, "easypost", *easypost, history)
    assert other.status_code == 200, other.text
    (refused,) = other.json()["results"]
    assert refused["outcome"] == "invalid" and refused["errors"][0]["field"] == "events.0.carrier"
    assert other.json()["counts"]["invalid"] == 1
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "dispatched"

    # A generic integration's id on an aggregator's route (and the other way round) is the same 401.
    body, headers = signed("easypost", generic[1], easypost_event(UPS_NUMBER, [("delivered", None, at, "Delivered")]))
    wrong_route = client.post(
        f"/api/v1/carrier-events/easypost?integration={generic[0]}", content=body, headers=headers
    )
    assert wrong_route.status_code == 401
    assert post_generic(client, easypost[0], easypost[1], []).status_code == 401
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "dispatched"

    # Other kinds of notification are acknowledged with nothing to record.
    batch = {"object": "Event", "description": "batch.updated", "result": {"object": "Batch"}}
    assert post_aggregator(client, "easypost", *easypost, batch).json()["results"] == []


def test_integrations_name_their_source_and_only_aggregators_take_a_secret(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    admin = make_key("admin")
    made = client.post(
        "/api/v1/courier-integrations",
        json={"courier": "ups", "name": "AfterShip", "source": "aftership", "secret": "as-secret-0001"},
        headers=auth(admin),
    )
    assert made.status_code == 201 and made.json()["secret"] == "as-secret-0001"
    assert made.json()["source"] == "aftership"
    generic = client.post(
        "/api/v1/courier-integrations",
        json={"courier": "ups", "name": "UPS", "secret": "mine-0001"},
        headers=auth(admin),
    )
    assert generic.status_code == 422 and generic.json()["errors"][0]["field"] == "secret"
    unknown = client.post(
        "/api/v1/courier-integrations", json={"courier": "ups", "name": "x", "source": "shippo"}, headers=auth(admin)
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "source"
    assert client.post("/api/v1/carrier-events/shippo?integration=1", json={}).status_code == 422
