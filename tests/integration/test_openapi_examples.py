"""The document's examples: every JSON request body has one, the main answers and every webhook have one, each
is valid against the schema next to it, and the request examples of the journey are accepted by the server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from ordertrail.api.examples.answers import ANSWERS
from ordertrail.api.examples.requests import REQUESTS
from tests.conftest import auth

# The answers a new integration meets first (api/examples/answers.py): each must carry an example.
MAIN_ANSWERS = {
    ("create_order", 201),
    ("get_order", 200),
    ("list_orders", 200),
    ("record_scan", 201),
    ("record_scan_batch", 200),
    ("get_tracking", 200),
    ("create_webhook_endpoint", 201),
}


def examples(document: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) of every example in the document: request bodies, answers, webhook bodies."""
    found = []
    for kind in ("paths", "webhooks"):
        for path, operations in document[kind].items():
            for method, operation in operations.items():
                where = f"{kind} {method.upper()} {path}"
                for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                    if "example" in media:
                        found.append((f"{where} body {media_type}", media["schema"], media["example"]))
                for status, response in operation["responses"].items():
                    for media_type, media in response.get("content", {}).items():
                        if "example" in media:
                            found.append((f"{where} {status} {media_type}", media["schema"], media["example"]))
    return found


def test_every_example_is_valid_against_its_schema(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    found = examples(document)
    assert len(found) >= len(REQUESTS) + len(ANSWERS) + len(document["webhooks"])  # none was left out
    for where, schema, example in found:
        validator = Draft202012Validator(
            {**schema, "components": document["components"]}, format_checker=FormatChecker()
        )
        failures = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(example)]
        assert not failures, (where, failures[:5])


def test_every_json_request_body_and_the_main_answers_have_an_example(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    ids = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            ids.add(operation["operationId"])
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body:
                assert "example" in body["application/json"], (method, path)
            for status, response in operation["responses"].items():
                if (operation["operationId"], int(status)) in MAIN_ANSWERS:
                    ((media,),) = [list(response["content"].values())]
                    assert "example" in media, (method, path, status)
    for webhook in document["webhooks"].values():
        assert "example" in webhook["post"]["requestBody"]["content"]["application/json"]
    # No example waits for an operation that is gone (renamed operation ids would lose theirs silently).
    assert set(REQUESTS) <= ids and {operation for operation, _ in ANSWERS} <= ids


def test_the_journey_examples_are_accepted_by_the_server(client: TestClient, make_key: Callable[..., str]) -> None:
    merchant = make_key("merchant", merchant="Northwind")
    scanner = make_key("scanner", facility="Leeds DC")
    numbers = [REQUESTS["record_scan"]["tracking_number"], REQUESTS["record_scan_batch"]["scans"][1]["tracking_number"]]
    # Pre-printed labels: the example order's parcels get the numbers the example scans name.
    order = {**REQUESTS["create_order"]}
    order["parcels"] = [{**p, "tracking_number": n} for p, n in zip(order["parcels"], numbers, strict=True)]
    placed = client.post("/api/v1/orders", json=order, headers=auth(merchant))
    assert placed.status_code == 201, placed.text
    assert placed.json()["parcels"][0]["reference"] == ANSWERS[("create_order", 201)]["parcels"][0]["reference"]

    scanned = client.post("/api/v1/scans", json=REQUESTS["record_scan"], headers=auth(scanner))
    assert scanned.status_code == 201 and scanned.json()["outcome"] == "created", scanned.text
    batch = client.post("/api/v1/scans/batch", json=REQUESTS["record_scan_batch"], headers=auth(scanner))
    assert [r["outcome"] for r in batch.json()["results"]] == ["created", "created"], batch.text

    second = f"/api/v1/parcels/{numbers[1]}"
    sends = [
        ("POST", f"{second}/notes", "add_parcel_note", 201),
        ("POST", f"{second}/notices", "send_customer_notice", 201),
        ("POST", f"{second}/cancel", "cancel_parcel", 200),
        ("PUT", "/api/v1/notification-settings", "update_notification_settings", 200),
    ]
    for method, url, operation, status in sends:
        answer = client.request(method, url, json=REQUESTS[operation], headers=auth(merchant))
        assert answer.status_code == status, (operation, answer.text)
