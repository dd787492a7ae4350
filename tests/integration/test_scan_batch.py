"""Offline batches: exact per-item outcomes, independence of items, idempotent resend, size limits."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from ordertrail.domain.tracking.tracking_number import generate
from tests.conftest import auth, scan_body


def test_a_mixed_batch_of_1000_gets_exact_outcomes_and_a_resend_creates_nothing(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]
) -> None:
    scanner = make_key("scanner")
    numbers = [p["tracking_number"] for p in make_order(parcels=[{}] * 50)["parcels"]]
    admin = make_key("admin")
    start = datetime.now(UTC) - timedelta(days=1)
    scans: list[dict[str, Any]] = []
    expected: list[str] = []
    earlier = scan_body(numbers[0], "processing", at=start)
    assert client.post("/api/v1/scans", json=earlier, headers=auth(scanner)).status_code == 201
    for i in range(1000):
        kind = i % 10
        number = numbers[i % len(numbers)]
        at = start + timedelta(minutes=i + 1)
        if kind == 0:
            scans.append({**scan_body(number, "in_transit", at=at), "status": "teleported"})
            expected.append("invalid")
        elif kind == 1:
            scans.append(scan_body(number[:-1] + ("0" if number[-1] != "0" else "1"), "packed", at=at))
            expected.append("invalid")  # wrong check character
        elif kind == 2:
            scans.append(scan_body(generate(), "packed", at=at))
            expected.append("unmatched")
        elif kind == 3:
            scans.append(earlier)
            expected.append("duplicate")
        elif kind == 4:
            scans.append({**earlier, "status": "packed"})
            expected.append("conflict")
        elif kind == 5:
            scans.append(scan_body(number, "exception", at=at, reason="not-a-reason"))
            expected.append("invalid")
        elif kind == 6:
            scans.append(scan_body(number, "packed", at=datetime.now(UTC) + timedelta(hours=1)))
            expected.append("invalid")  # more than 10 minutes in the future
        else:
            scans.append(scan_body(number, "in_transit", at=at, substatus="in_transit.arrived_at_hub"))
            expected.append("created")
    scans[7] = {"event_id": "not-even-a-uuid"}  # a malformed item does not spoil the batch
    expected[7] = "invalid"

    response = client.post("/api/v1/scans/batch", json={"scans": scans}, headers=auth(scanner))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["outcome"] for r in body["results"]] == expected
    assert body["counts"] == {
        o: expected.count(o) for o in ("created", "duplicate", "conflict", "unmatched", "invalid")
    }
    for result, scan in zip(body["results"], scans, strict=True):
        assert result["event_id"] == scan.get("event_id")
        if result["outcome"] == "invalid":
            assert result["error"] and result["errors"][0]["field"].startswith("scans.")
        if result["outcome"] == "created":
            assert result["sequence"] >= 2
    created = {r["event_id"] for r in body["results"] if r["outcome"] == "created"}
    unmatched = len(client.get("/api/v1/unmatched-scans?limit=500", headers=auth(admin)).json()["unmatched_scans"])

    again = client.post("/api/v1/scans/batch", json={"scans": scans}, headers=auth(scanner)).json()
    outcomes_again = [r["outcome"] for r in again["results"]]
    assert outcomes_again == ["duplicate" if o == "created" else o for o in expected]
    assert again["counts"]["created"] == 0
    assert (
        len(client.get("/api/v1/unmatched-scans?limit=500", headers=auth(admin)).json()["unmatched_scans"]) == unmatched
    )
    tracked = client.get(f"/api/v1/tracking/{numbers[7]}").json()
    assert len(tracked["events"]) == 1 + sum(
        1 for s in scans if s.get("event_id") in created and s["tracking_number"] == numbers[7]
    )


def test_batches_over_the_limit_are_refused_with_413(client: TestClient, make_key: Callable[..., str]) -> None:
    scanner = make_key("scanner")
    scans = [scan_body(generate(), "packed") for _ in range(1001)]
    response = client.post("/api/v1/scans/batch", json={"scans": scans}, headers=auth(scanner))
    assert response.status_code == 413
    assert "1000" in response.json()["detail"]
    huge = client.post(
        "/api/v1/scans/batch",
        content=b'{"scans": [' + b" " * (9 * 1024 * 1024) + b"]}",
        headers={**auth(scanner), "content-type": "application/json"},
    )
    assert huge.status_code == 413
    assert huge.headers["content-type"] == "application/problem+json"


def test_the_same_event_id_twice_in_one_batch(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]
) -> None:
    scanner = make_key("scanner")
    number = make_order()["parcels"][0]["tracking_number"]
    scan = scan_body(number, "packed", event_id=str(uuid.uuid4()))
    body = client.post(
        "/api/v1/scans/batch", json={"scans": [scan, scan, {**scan, "note": "x"}]}, headers=auth(scanner)
    ).json()
    assert [r["outcome"] for r in body["results"]] == ["created", "duplicate", "conflict"]


def test_a_batch_whose_items_all_parse_still_answers_a_bad_number_in_its_place(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]
) -> None:
    # Every item passes the schema (the batch is validated as one list), but one number's check character is
    # wrong: only that item is invalid, named by its place, and the others are recorded.
    scanner = make_key("scanner")
    numbers = [p["tracking_number"] for p in make_order(parcels=[{}] * 3)["parcels"]]
    wrong = numbers[1][:-1] + ("0" if numbers[1][-1] != "0" else "1")
    at = datetime.now(UTC) - timedelta(hours=1)
    scans = [scan_body(n, "packed", at=at) for n in (numbers[0], wrong, numbers[2])]
    response = client.post("/api/v1/scans/batch", json={"scans": scans}, headers=auth(scanner))
    assert response.status_code == 200
    body = response.json()
    assert [r["outcome"] for r in body["results"]] == ["created", "invalid", "created"]
    assert body["results"][1]["event_id"] == scans[1]["event_id"]
    assert [e["field"] for e in body["results"][1]["errors"]] == ["scans.1.tracking_number"]
    assert body["counts"]["created"] == 2 and body["counts"]["invalid"] == 1


def test_keys_are_checked_in_the_ingest_transaction(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    merchant = make_key("merchant", merchant="Test Shop")
    well_formed_but_unknown = "ot_scanner_" + "A" * 32
    for path, body in (
        ("/api/v1/scans", scan_body(number, "packed")),
        ("/api/v1/scans/batch", {"scans": [scan_body(number, "packed")]}),
    ):
        assert client.post(path, json=body).status_code == 401
        assert client.post(path, json=body, headers=auth("not a key")).status_code == 401
        unknown = client.post(path, json=body, headers=auth(well_formed_but_unknown))
        assert unknown.status_code == 401 and unknown.headers["content-type"] == "application/problem+json"
        assert client.post(path, json=body, headers=auth(merchant)).status_code == 403
    assert len(client.get(f"/api/v1/tracking/{number}").json()["events"]) == 1  # nothing was recorded


def test_a_chunked_body_over_the_limit_is_refused(client: TestClient, make_key: Callable[..., str]) -> None:
    scanner = make_key("scanner")

    def chunks() -> Iterator[bytes]:
        yield b'{"scans": ['
        for _ in range(10):
            yield b" " * (1024 * 1024)
        yield b"]}"

    response = client.post(
        "/api/v1/scans/batch", content=chunks(), headers={**auth(scanner), "content-type": "application/json"}
    )
    assert response.status_code == 413
