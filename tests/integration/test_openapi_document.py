"""The OpenAPI document tells the truth: it is valid (openapi-spec-validator, Redocly's recommended rules), every
operation names its key and its problem+json errors, and the answers of a merchant's and a scanner's first day,
hot paths included, are exactly what it documents (status, media type, every field)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from ordertrail.domain.tracking import tracking_number
from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body
from tests.support.openapi import assert_documented, redocly_lint

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
# The operations anyone may call: health, public tracking and its live streams, pairing (the code is the secret),
# the unsubscribe link of an email (its token is), and courier events (signed with the integration's secret).
PUBLIC = {
    "check_health",
    "check_readiness",
    "get_tracking",
    "stream_parcel_events",
    "stream_order_events",
    "exchange_pairing_code",
    "unsubscribe_address",
    "record_carrier_events",
    "record_aggregator_events",
}


# The hot paths answer scans and tracking by hand, FastAPI otherwise: both must send what the document says.
@pytest.fixture(params=[True, False], ids=["hot-paths", "fastapi-only"])
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        hot_paths=request.param,
        public_base_url="https://track.example.org/",
        webhook_allow_private=True,  # the journey registers an endpoint on 127.0.0.1 (nothing listens there)
        webhook_ports="*",
    )


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    found: dict[str, Any] = client.get("/openapi.json").json()
    return found


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)
    assert document["servers"] == [
        {"url": "https://track.example.org", "description": "This service (ORDERTRAIL_PUBLIC_BASE_URL)"}
    ]


def test_redocly_recommended_rules_find_no_error(document: dict[str, Any], tmp_path: Path) -> None:
    report = redocly_lint(document, tmp_path)
    errors = [
        (p["ruleId"], p["message"], p["location"][0]["pointer"]) for p in report["problems"] if p["severity"] == "error"
    ]
    assert report["totals"]["errors"] == 0, errors


def test_every_operation_names_its_key_its_capability_and_its_errors_as_problems(document: dict[str, Any]) -> None:
    tags = {tag["name"] for tag in document["tags"]}
    assert "HTTPValidationError" not in json.dumps(document)  # FastAPI's error shape, which the API never sends
    for method, path, operation in operations(document):
        where = f"{method} {path}"
        assert re.fullmatch(r"[a-z]+(_[a-z]+)+", operation["operationId"]), where  # a verb and what it acts on
        assert len(operation["tags"]) == 1 and operation["tags"][0] in tags, where
        assert (operation["security"] == []) == (operation["operationId"] in PUBLIC), where
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                schemas = {media_type: {"schema": m["schema"]} for media_type, m in response["content"].items()}
                assert schemas == PROBLEM, (where, status)  # (some also carry an example)
            elif status != "204":
                ((_, body),) = response["content"].items()
                assert body["schema"], (where, status)  # every success answer is described
        if operation["security"]:
            assert {"401", "408"} <= set(operation["responses"]), where


def test_every_operation_has_a_description_beyond_its_summary_and_the_document_a_contact(
    document: dict[str, Any],
) -> None:
    # Spectral's operation-description and info-contact: a client author reads who may call an operation, what a
    # retry does and when it is refused in its description; the summary alone is its one line.
    assert document["info"]["contact"] == {"name": "ordertrail maintainers"}
    for method, path, operation in operations(document):
        description = operation.get("description", "").strip()
        assert description, (method, path)
        assert description != operation["summary"].strip(), (method, path)


def test_operations_that_need_a_key_refuse_a_request_without_one_and_public_ones_do_not(
    client: TestClient, document: dict[str, Any]
) -> None:
    for method, path, operation in operations(document):
        url = re.sub(r"\{[a-z_]+\}", "1", path)
        response = client.request(method, url, json={} if "requestBody" in operation else None)
        if operation["security"]:
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            assert_documented(document, response, path)
        else:
            assert response.status_code != 401, (method, path, response.text)


def test_a_first_day_of_merchant_and_scanner_is_answered_as_documented(
    client: TestClient, document: dict[str, Any], make_key: Callable[..., str]
) -> None:
    merchant, scanner, admin = make_key("merchant", merchant="Shop"), make_key("scanner"), make_key("admin")

    def check(response: Any, path: str) -> Any:
        return assert_documented(document, response, path)

    placed = client.post(
        "/api/v1/orders",
        json=order_body(parcels=[{"weight_grams": 900}, {"weight_grams": 400}]),
        headers=auth(merchant),
    )
    order = check(placed, "/api/v1/orders")
    number, other = (p["tracking_number"] for p in order["parcels"])

    scan = scan_body(number, "packed", note="shelf 4")
    created = check(client.post("/api/v1/scans", json=scan, headers=auth(scanner)), "/api/v1/scans")
    assert created["outcome"] == "created" and created["event"]["note"] == "shelf 4"
    retried = client.post("/api/v1/scans", json=scan, headers=auth(scanner))
    assert retried.status_code == 200 and check(retried, "/api/v1/scans")["outcome"] == "duplicate"
    unknown = client.post("/api/v1/scans", json=scan_body(tracking_number.generate(), "packed"), headers=auth(scanner))
    assert unknown.status_code == 404 and check(unknown, "/api/v1/scans")["errors"]  # a problem: kept as unmatched

    batch = [
        scan_body(number, "dispatched"),
        scan_body(other, "exception", reason="damaged"),
        scan_body(other, "not-a-status"),
        scan_body(tracking_number.generate(), "packed"),
        scan,
    ]
    answered = check(
        client.post("/api/v1/scans/batch", json={"scans": batch}, headers=auth(scanner)), "/api/v1/scans/batch"
    )
    assert [r["outcome"] for r in answered["results"]] == ["created", "created", "invalid", "unmatched", "duplicate"]
    proof = {"recipient_name": "A. Lovelace", "signature_png_base64": "iVBORw0KGgo="}
    delivered = scan_body(number, "delivered", proof=proof)
    check(client.post("/api/v1/scans", json=delivered, headers=auth(scanner)), "/api/v1/scans")

    tracking = check(client.get(f"/api/v1/tracking/{number}"), "/api/v1/tracking/{tracking_number}")
    assert tracking["status"] == "delivered" and tracking["events"]
    check(client.get(f"/api/v1/tracking/{other}"), "/api/v1/tracking/{tracking_number}")  # with a notice
    missing = client.get(f"/api/v1/tracking/{tracking_number.generate()}")
    assert missing.status_code == 404 and check(missing, "/api/v1/tracking/{tracking_number}")
    no_stream = client.get(f"/api/v1/tracking/{tracking_number.generate()}/events")
    assert no_stream.status_code == 404 and check(no_stream, "/api/v1/tracking/{tracking_number}/events")
    check(client.get(f"/api/v1/parcels/{number}", headers=auth(scanner)), "/api/v1/parcels/{tracking_number}")

    detail = check(
        client.get(f"/api/v1/orders/{order['order_number']}", headers=auth(merchant)), "/api/v1/orders/{order_number}"
    )
    assert any("proof" in event for event in detail["parcels"][0]["events"])
    check(client.get("/api/v1/orders", headers=auth(merchant)), "/api/v1/orders")
    check(client.get("/api/v1/parcels?delayed=false", headers=auth(merchant)), "/api/v1/parcels")
    check(
        client.get(f"/api/v1/parcels/{number}/estimates", headers=auth(merchant)),
        "/api/v1/parcels/{tracking_number}/estimates",
    )
    check(client.get("/api/v1/unmatched-scans", headers=auth(admin)), "/api/v1/unmatched-scans")
    check(client.get("/api/v1/audit-log", headers=auth(admin)), "/api/v1/audit-log")
    check(client.get("/api/v1/me", headers=auth(scanner)), "/api/v1/me")

    hook = {"url": "http://127.0.0.1:9/hooks", "event_types": ["parcel.delivered"], "description": "shop"}
    endpoint = check(
        client.post("/api/v1/webhook-endpoints", json=hook, headers=auth(merchant)), "/api/v1/webhook-endpoints"
    )
    one = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    check(client.get("/api/v1/webhook-endpoints", headers=auth(merchant)), "/api/v1/webhook-endpoints")
    check(client.get(one, headers=auth(merchant)), "/api/v1/webhook-endpoints/{endpoint_id}")
    rotated = client.post(f"{one}/rotate-secret", headers=auth(merchant))
    assert check(rotated, "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret")["rotation_ends_at"]
    check(client.get(f"{one}/deliveries", headers=auth(merchant)), "/api/v1/webhook-endpoints/{endpoint_id}/deliveries")
    check(
        client.post(f"{one}/replay", json={}, headers=auth(merchant)), "/api/v1/webhook-endpoints/{endpoint_id}/replay"
    )
    wanted = {"customer_statuses": ["delivered", "out_for_delivery"], "webhooks": True}
    settings_path = "/api/v1/notification-settings"
    check(client.put(settings_path, json=wanted, headers=auth(merchant)), settings_path)
    assert check(client.get(settings_path, headers=auth(merchant)), settings_path) == wanted

    check(client.get("/healthz"), "/healthz")
    check(client.get("/readyz"), "/readyz")
    paired = client.post("/api/v1/pairing/exchange", json={"code": "ABCD-EFGH"})
    assert paired.status_code == 401 and check(paired, "/api/v1/pairing/exchange")  # a problem: no such code
