"""Handing a parcel to a courier from its console page: a form with the session's CSRF token, checked as the API's
handover is, audited, offered only to roles that may hand parcels over; the API route follows the same rules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.settings import Settings
from tests.conftest import auth, order_body
from tests.support.staff import FAST_HASHING, csrf_of, staff_user

UPS_NUMBER = "1Z5R89390357567127"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", **FAST_HASHING)


def _as(client: TestClient, run_services: Callable[..., Any], settings: Settings, *user: str) -> str:
    client.cookies.clear()
    staff_user(client, run_services, settings, *user)
    return csrf_of(client.get("/console").text)


def test_operations_hands_a_parcel_over_from_its_page_and_it_is_audited(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    merchant = make_key("merchant", merchant="Shop A")
    number = client.post("/api/v1/orders", json=order_body(), headers=auth(merchant)).json()["parcels"][0][
        "tracking_number"
    ]
    path = f"/console/parcels/{number}"
    token = _as(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    page = client.get(path).text
    assert f'action="{path}/handover"' in page and "Not handed to a courier." in page

    form = {"courier": "UPS ", "courier_tracking_number": "1z5r 8939 0357 5671 27", "service_level": "express"}
    assert client.post(f"{path}/handover", data=form, follow_redirects=False).status_code == 403  # no CSRF token
    bad = client.post(
        f"{path}/handover",
        data={**form, "csrf_token": token, "courier_tracking_number": "1Z5R89390357567128"},
        follow_redirects=False,
    )
    assert bad.status_code == 422 and 'id="handover-error"' in bad.text
    assert client.get(f"/api/v1/tracking/{number}").json()["courier"] is None

    done = client.post(f"{path}/handover", data={**form, "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{path}?done=handed_over#timeline"
    after = client.get(done.headers["location"]).text
    assert "Handed to the courier." in after and UPS_NUMBER in after and "Change courier" in after
    courier = client.get(f"/api/v1/tracking/{number}").json()["courier"]
    assert (courier["code"], courier["tracking_number"], courier["service_level"]) == ("ups", UPS_NUMBER, "express")

    log = client.get("/api/v1/audit-log", headers=auth(make_key("admin"))).json()["entries"]
    entries = [e for e in log if e["action"] == "parcel.handed_over"]
    assert [(e["tracking_number"], e["detail"], e["actor"]["name"]) for e in entries] == [
        (number, {"courier": "ups", "courier_tracking_number": UPS_NUMBER}, entries[0]["actor"]["name"])
    ]
    assert entries[0]["actor"]["kind"] == "staff"


def test_who_may_not_hand_over_gets_no_form_and_a_refusal_by_page_and_by_api(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    merchant = make_key("merchant", merchant="Shop A")
    number = client.post("/api/v1/orders", json=order_body(), headers=auth(merchant)).json()["parcels"][0][
        "tracking_number"
    ]
    token = _as(client, run_services, settings, "help@example.com", "support", "Shop A")
    page = client.get(f"/console/parcels/{number}").text
    assert 'id="handover-number"' not in page
    form = {"csrf_token": token, "courier": "dpd", "courier_tracking_number": "DPD-1"}
    assert client.post(f"/console/parcels/{number}/handover", data=form).status_code == 403
    # The API route with the same session: the same rule.
    api = client.post(f"/api/v1/parcels/{number}/handover", json={"courier": "dpd", "tracking_number": "DPD-1"},
                      headers={"x-csrf-token": token})  # fmt: skip
    assert api.status_code == 403 and "handles exceptions" in api.json()["detail"], api.text
    assert client.get(f"/api/v1/tracking/{number}").json()["courier"] is None
