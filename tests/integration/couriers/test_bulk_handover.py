"""Handing parcels to couriers in bulk over HTTP (POST /api/v1/handovers), on a real store: each item answered in
its place by the single handover's rules, once per Idempotency-Key, audited per parcel; roles without the handle
permission are refused."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.services.console import bulk_handover
from ordertrail.services.console.readers import Reader
from ordertrail.settings import Settings
from tests.conftest import auth, order_body
from tests.support.staff import csrf_of, staff_user

UPS_NUMBER = "1Z5R89390357567127"
BAD_UPS_NUMBER = "1Z5R89390357567128"  # the check digit fails


def _order(client: TestClient, key: str, parcels: int = 1) -> list[str]:
    response = client.post("/api/v1/orders", json=order_body(parcels=[{}] * parcels), headers=auth(key))
    assert response.status_code == 201, response.text
    return [p["tracking_number"] for p in response.json()["parcels"]]


def test_a_batch_answers_each_item_in_its_place_and_acts_once_per_key(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    merchant = make_key("merchant", merchant="Test Shop")
    other = make_key("merchant", merchant="Other Shop")
    good, second, bad = _order(client, merchant, 3)
    (theirs,) = _order(client, other)
    batch = {
        "handovers": [
            {"tracking_number": good, "courier": "ups", "courier_tracking_number": "1z5r 8939 0357 5671 27"},
            {"tracking_number": bad, "courier": "ups", "courier_tracking_number": BAD_UPS_NUMBER},
            {"tracking_number": "OT000000000000", "courier": "dpd", "courier_tracking_number": "DPD-1"},
            {"tracking_number": theirs, "courier": "dpd", "courier_tracking_number": "DPD-2"},
            {"tracking_number": second, "courier": "royal_mail"},
            {"tracking_number": second, "courier": "dpd", "courier_tracking_number": "DPD-3", "service_level": "next"},
        ]
    }
    headers = {**auth(merchant), "Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/api/v1/handovers", json=batch, headers=headers)
    assert first.status_code == 200, first.text
    results = first.json()["results"]
    assert [r["outcome"] for r in results] == ["handed_over", "invalid", "not_found", "not_found", "invalid",
                                               "handed_over"]  # fmt: skip
    assert results[0]["courier_tracking_number"] == UPS_NUMBER
    assert [e["field"] for e in results[1]["errors"]] == ["handovers.1.courier_tracking_number"]
    assert [e["field"] for e in results[4]["errors"]] == ["handovers.4.courier_tracking_number"]
    assert first.json()["counts"] == {"handed_over": 2, "unchanged": 0, "invalid": 2, "not_found": 2}

    again = client.post("/api/v1/handovers", json=batch, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true", again.text
    assert again.json() == first.json()
    other_batch = {"handovers": batch["handovers"][:1]}
    assert client.post("/api/v1/handovers", json=other_batch, headers=headers).status_code == 409

    # Without a key the same handovers again change nothing: they stand already.
    unkeyed = client.post("/api/v1/handovers", json=other_batch, headers=auth(merchant)).json()
    assert [r["outcome"] for r in unkeyed["results"]] == ["unchanged"]

    assert client.get(f"/api/v1/tracking/{good}").json()["courier"]["tracking_number"] == UPS_NUMBER
    assert client.get(f"/api/v1/tracking/{second}").json()["courier"]["service_level"] == "next"
    assert client.get(f"/api/v1/tracking/{bad}").json()["courier"] is None
    assert client.get(f"/api/v1/tracking/{theirs}").json()["courier"] is None
    admin = make_key("admin")
    log = client.get("/api/v1/audit-log", headers=auth(admin)).json()["entries"]
    handed = sorted(e["tracking_number"] for e in log if e["action"] == "parcel.handed_over")
    assert handed == sorted([good, second])  # once each, though the batch was sent twice


def test_a_courier_number_another_parcel_has_is_refused_in_its_place(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    merchant = make_key("merchant", merchant="Test Shop")
    one, two = _order(client, merchant, 2)
    batch = {
        "handovers": [
            {"tracking_number": one, "courier": "ups", "courier_tracking_number": UPS_NUMBER},
            {"tracking_number": two, "courier": "ups", "courier_tracking_number": UPS_NUMBER},
        ]
    }
    results = client.post("/api/v1/handovers", json=batch, headers=auth(merchant)).json()["results"]
    assert [r["outcome"] for r in results] == ["handed_over", "invalid"]
    assert results[1]["errors"][0]["field"] == "handovers.1.courier_tracking_number"


def test_the_batch_is_refused_whole_when_malformed_and_for_roles_that_do_not_handle(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    merchant = make_key("merchant", merchant="Test Shop")
    (number,) = _order(client, merchant)
    item = {"tracking_number": number, "courier": "ups", "courier_tracking_number": UPS_NUMBER}
    for body in ({"handovers": []}, {"items": [item]}, {"handovers": [item] * 1001}):
        refused = client.post("/api/v1/handovers", json=body, headers=auth(merchant))
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "handovers", refused.text
    scanner = make_key("scanner")
    assert client.post("/api/v1/handovers", json={"handovers": [item]}, headers=auth(scanner)).status_code == 403

    staff_user(client, run_services, settings, "help@example.com", "support", "Test Shop")
    token = {"X-CSRF-Token": csrf_of(client.get("/console").text)}
    assert client.post("/api/v1/handovers", json={"handovers": [item]}, headers=token).status_code == 403
    staff_user(client, run_services, settings, "ops@example.com", "operations", "Test Shop")
    ops = {"X-CSRF-Token": csrf_of(client.get("/console").text)}
    done = client.post("/api/v1/handovers", json={"handovers": [item]}, headers=ops)
    assert done.status_code == 200 and done.json()["counts"]["handed_over"] == 1, done.text
    assert client.get(f"/api/v1/tracking/{number}").json()["courier"]["code"] == "ups"


def test_the_preview_says_what_each_item_would_do_and_writes_nothing(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any]
) -> None:
    merchant = make_key("merchant", merchant="Test Shop")
    good, bad = _order(client, merchant, 2)
    admin = Reader.of_key(Principal(key_id=None, role=Role.ADMIN, name="preview test"), None)
    items = [
        bulk_handover.HandoverItem(good, "ups", UPS_NUMBER),
        bulk_handover.HandoverItem(bad, "ups", BAD_UPS_NUMBER),
        bulk_handover.HandoverItem("OT000000000000", "dpd", "DPD-1"),
    ]
    preview = run_services(lambda services: bulk_handover.preview(services, admin, items))
    assert [r.outcome for r in preview.results] == ["handed_over", "invalid", "not_found"]
    assert preview.results[1].errors[0].field == "handovers.1.courier_tracking_number"
    assert client.get(f"/api/v1/tracking/{good}").json()["courier"] is None
    log = client.get("/api/v1/audit-log", headers=auth(make_key("admin"))).json()["entries"]
    assert not [e for e in log if e["action"] == "parcel.handed_over"]
    done = run_services(lambda services: bulk_handover.hand_over_all(services, admin, items, key=None))
    assert [r.outcome for r in done.results] == ["handed_over", "invalid", "not_found"]
    assert client.get(f"/api/v1/tracking/{good}").json()["courier"]["tracking_number"] == UPS_NUMBER
