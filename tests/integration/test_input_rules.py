"""The input rules (docs/api.md): what a client sends that the stores could not keep or serve is refused with 422
(415 for a body that is not JSON) naming the field, and changes nothing; on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth, order_body, scan_body
from tests.support.notify import outbox_rows


def _fields(response: Any) -> list[str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return [e["field"] for e in response.json().get("errors", [])]


def _scan(client: TestClient, key: str, body: Any) -> Any:
    return client.post("/api/v1/scans", json=body, headers=auth(key))


@pytest.fixture
def shop(client: TestClient, make_key: Callable[..., str]) -> dict[str, str]:
    return {"merchant": make_key("merchant", merchant="Test Shop"), "scanner": make_key("scanner")}


def test_a_far_past_or_far_future_instant_is_refused_and_the_parcel_stays_readable(
    client: TestClient, shop: dict[str, str], make_order: Callable[..., dict[str, Any]]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    for at in ("0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59Z", "1900-01-01T00:00:00+00:00"):
        refused = _scan(client, shop["scanner"], {**scan_body(number, "packed"), "occurred_at": at})
        assert refused.status_code == 422 and _fields(refused) == ["occurred_at"], (at, refused.text)
    assert client.get(f"/api/v1/tracking/{number}").status_code == 200
    assert _scan(client, shop["scanner"], scan_body(number, "packed")).status_code == 201

    for placed_at in ("0001-01-01T00:00:00+00:00", "9999-12-31T00:00:00+00:00", "9999-12-31T23:00:00-05:00"):
        response = client.post("/api/v1/orders", json=order_body(placed_at=placed_at), headers=auth(shop["merchant"]))
        assert response.status_code == 422 and _fields(response) == ["placed_at"], (placed_at, response.text)


def test_occurred_at_is_an_rfc3339_string_with_an_offset(
    client: TestClient, shop: dict[str, str], make_order: Callable[..., dict[str, Any]]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    recent = datetime.now(UTC) - timedelta(minutes=5)
    for at in (int(recent.timestamp()), recent.isoformat().replace("+00:00", ""), recent.date().isoformat()):
        refused = _scan(client, shop["scanner"], {**scan_body(number, "packed"), "occurred_at": at})
        assert refused.status_code == 422 and _fields(refused) == ["occurred_at"], (at, refused.text)


def test_a_scan_dated_days_before_its_order_is_refused(
    client: TestClient, shop: dict[str, str], make_order: Callable[..., dict[str, Any]]
) -> None:
    placed = datetime.now(UTC) - timedelta(hours=2)
    number = make_order(placed_at=placed.isoformat())["parcels"][0]["tracking_number"]
    refused = _scan(client, shop["scanner"], scan_body(number, "packed", at=placed - timedelta(days=3)))
    assert refused.status_code == 422 and _fields(refused) == ["occurred_at"]
    assert "before the order was placed" in refused.json()["errors"][0]["reason"]
    # Within a day before is a clock behind: accepted, and shown after "Order placed".
    assert (
        _scan(client, shop["scanner"], scan_body(number, "packed", at=placed - timedelta(hours=20))).status_code == 201
    )
    events = client.get(f"/api/v1/tracking/{number}").json()["events"]
    assert [e["status"] for e in events] == ["order_placed", "packed"]


def test_a_scan_in_the_second_of_the_order_follows_it_and_is_notified(
    client: TestClient, shop: dict[str, str], make_order: Callable[..., dict[str, Any]], settings: Any
) -> None:
    placed = (datetime.now(UTC) - timedelta(minutes=30)).replace(microsecond=700_000)
    number = make_order(placed_at=placed.isoformat())["parcels"][0]["tracking_number"]
    same_second = placed.replace(microsecond=0)  # a device that sends whole seconds
    scan = scan_body(number, "exception", at=same_second, reason="damaged")
    assert _scan(client, shop["scanner"], scan).status_code == 201
    document = client.get(f"/api/v1/tracking/{number}").json()
    assert [e["status"] for e in document["events"]] == ["order_placed", "exception"]
    assert document["status"] == "exception"
    kinds = [(r["channel"], r["event_type"]) for r in outbox_rows(settings.resolved_database_url)]
    assert ("email", "parcel.exception") in kinds, kinds


@pytest.mark.parametrize("text", ["x\u0000y", "x\u0007y", "x\u009by"])
def test_control_characters_are_refused_in_every_text_field(
    client: TestClient, shop: dict[str, str], make_order: Callable[..., dict[str, Any]], text: str
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    for body, field in (
        ({**scan_body(number, "packed"), "note": text}, "note"),
        ({**scan_body(number, "packed"), "location": {"facility": text}}, "location.facility"),
        ({**scan_body(number, "packed"), "reason": text}, "reason"),
    ):
        response = client.post("/api/v1/scans", content=_escaped(body), headers=_json_headers(shop["scanner"]))
        assert response.status_code == 422 and _fields(response) == [field], response.text
    order = order_body(customer={"name": text, "email": "a@example.com"})
    response = client.post("/api/v1/orders", content=_escaped(order), headers=_json_headers(shop["merchant"]))
    assert response.status_code == 422 and _fields(response) == ["customer.name"], response.text
    batch = {"scans": [scan_body(number, "packed"), {**scan_body(number, "dispatched"), "note": text}]}
    response = client.post("/api/v1/scans/batch", content=_escaped(batch), headers=_json_headers(shop["scanner"]))
    assert response.status_code == 200, response.text
    assert [r["outcome"] for r in response.json()["results"]] == ["created", "invalid"]
    assert response.json()["results"][1]["errors"][0]["field"] == "scans.1.note"
    assert client.get("/api/v1/orders?q=" + quote(text), headers=auth(shop["merchant"])).status_code == 422


def test_a_lone_surrogate_is_refused(
    client: TestClient, shop: dict[str, str], make_order: Callable[..., dict[str, Any]]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    # Escaped, as a client would send it (it has no UTF-8 form). orjson refuses it as malformed JSON.
    scan = {**scan_body(number, "packed"), "note": "x\ud800y"}
    response = client.post("/api/v1/scans", content=_escaped(scan), headers=_json_headers(shop["scanner"]))
    assert response.status_code == 422 and _fields(response) == ["body"], response.text
    order = order_body(customer={"name": "x\ud800y", "email": "a@example.com"})
    response = client.post("/api/v1/orders", content=_escaped(order), headers=_json_headers(shop["merchant"]))
    assert response.status_code == 422 and _fields(response) == ["customer.name"], response.text


def test_a_note_may_span_lines(
    client: TestClient, shop: dict[str, str], make_order: Callable[..., dict[str, Any]]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    body = {**scan_body(number, "packed"), "note": "left at the back door\r\n\tbehind the bins"}
    assert _scan(client, shop["scanner"], body).status_code == 201


def _escaped(document: Any) -> bytes:
    import json

    return json.dumps(document, ensure_ascii=True).encode()


def _json_headers(key: str) -> dict[str, str]:
    return {**auth(key), "content-type": "application/json"}


def test_an_order_number_in_any_script_reaches_every_route(
    client: TestClient, shop: dict[str, str], make_key: Callable[..., str]
) -> None:
    for order_number in ("NW-Ж-3", "订单 2026#7", "हिन्दी-1"):
        created = client.post(
            "/api/v1/orders", json=order_body(order_number=order_number), headers=auth(shop["merchant"])
        )
        assert created.status_code == 201, created.text
        location = created.headers["location"]
        assert location == "/api/v1/orders/" + quote(order_number, safe="") and location.isascii()
        read = client.get(location, headers=auth(shop["merchant"]))
        assert read.status_code == 200 and read.json()["order_number"] == order_number
        labels = client.get(location + "/labels.pdf", headers=auth(shop["merchant"]))
        assert labels.status_code == 200 and labels.content.startswith(b"%PDF-")
        bulk = client.post("/api/v1/labels.pdf", json={"order_numbers": [order_number]}, headers=auth(shop["merchant"]))
        assert bulk.status_code == 200
        number = created.json()["parcels"][0]["tracking_number"]
        assert client.get(f"/api/v1/tracking/{number}").status_code == 200
        assert _scan(client, shop["scanner"], scan_body(number, "packed")).status_code == 201


@pytest.mark.parametrize("order_number", ["A/1", "A\r\nBcc: x", "😀-1", "-A1", ".", "A\u0000", "A" * 65, "A;1"])
def test_an_order_number_the_service_could_not_serve_is_refused(
    client: TestClient, shop: dict[str, str], order_number: str
) -> None:
    response = client.post("/api/v1/orders", json=order_body(order_number=order_number), headers=auth(shop["merchant"]))
    assert response.status_code == 422 and _fields(response) == ["order_number"], response.text
    assert client.get("/api/v1/orders", headers=auth(shop["merchant"])).json()["orders"] == []


def test_cursors_are_ascii_digits_within_64_bits(
    client: TestClient, shop: dict[str, str], make_order: Callable[..., dict[str, Any]]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    merchant = auth(shop["merchant"])
    for query, field in (
        ("/api/v1/orders?cursor=o\u00b2", "cursor"),
        ("/api/v1/orders?cursor=o99999999999999999999", "cursor"),
        ("/api/v1/parcels?cursor=p\u0663", "cursor"),
        ("/api/v1/orders?placed_after=0001-01-01T00:00:00%2B14:00", "query.placed_after"),
        ("/api/v1/orders?placed_after=1764676800", "query.placed_after"),
        (f"/api/v1/tracking/{number}/events?after=\u00b2", "Last-Event-ID"),
    ):
        response = client.get(query, headers=merchant)
        assert response.status_code == 422 and _fields(response) == [field], (query, response.text)
    deliveries = "/api/v1/webhook-endpoints/1/deliveries?before=9223372036854775808"
    response = client.get(deliveries, headers=merchant)
    assert response.status_code == 422 and _fields(response) == ["query.before"], response.text


def test_a_body_that_is_not_json_is_415(
    client: TestClient, shop: dict[str, str], make_order: Callable[..., dict[str, Any]]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    text = orjson.dumps(scan_body(number, "packed"))
    for path, key, body in (
        ("/api/v1/scans", shop["scanner"], text),
        ("/api/v1/scans/batch", shop["scanner"], b'{"scans": [' + text + b"]}"),
        ("/api/v1/orders", shop["merchant"], orjson.dumps(order_body())),
    ):
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            response = client.post(path, content=body, headers={**auth(key), "content-type": content_type})
            assert response.status_code == 415, (path, content_type, response.text)
            assert _fields(response) == ["content-type"]
        charset = {**auth(key), "content-type": "application/json; charset=utf-8"}
        assert client.post(path, content=body, headers=charset).status_code in (200, 201), path
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "packed"


def test_duplicate_json_keys_are_refused(
    client: TestClient, shop: dict[str, str], make_order: Callable[..., dict[str, Any]]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    scan = orjson.dumps(scan_body(number, "packed"))
    twice = scan[:-1] + b', "status": "delivered"}'
    response = client.post("/api/v1/scans", content=twice, headers=_json_headers(shop["scanner"]))
    assert response.status_code == 422 and _fields(response) == ["status"], response.text
    nested = scan.replace(b'"city":', b'"city": "York", "city":')
    response = client.post("/api/v1/scans", content=nested, headers=_json_headers(shop["scanner"]))
    assert response.status_code == 422 and _fields(response) == ["city"], response.text
    order = orjson.dumps(order_body())[:-1] + b', "order_number": "OTHER-1"}'
    response = client.post("/api/v1/orders", content=order, headers=_json_headers(shop["merchant"]))
    assert response.status_code == 422 and _fields(response) == ["order_number"], response.text
    # A value holding `":` is no duplicate.
    note = {**scan_body(number, "packed"), "note": 'the label says "fragile": handle with care'}
    assert _scan(client, shop["scanner"], note).status_code == 201
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "packed"


def test_a_proof_photo_over_2_mib_is_refused(
    client: TestClient, shop: dict[str, str], make_order: Callable[..., dict[str, Any]]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    photo = base64.b64encode(b"\xff\xd8" + b"\x00" * (2_400_000 - 2)).decode()
    body = {**scan_body(number, "delivered"), "proof": {"photo_jpeg_base64": photo}}
    response = _scan(client, shop["scanner"], body)
    assert response.status_code == 422 and _fields(response) == ["proof.photo_jpeg_base64"], response.text[:300]
    exactly = base64.b64encode(b"\xff\xd8" + b"\x00" * (2 * 1024 * 1024 - 2)).decode()
    body = {**scan_body(number, "delivered"), "proof": {"photo_jpeg_base64": exactly}}
    assert _scan(client, shop["scanner"], body).status_code == 201


def test_unknown_countries_substatuses_and_impossible_promises_are_refused(
    client: TestClient, shop: dict[str, str], make_order: Callable[..., dict[str, Any]]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    merchant = auth(shop["merchant"])
    address = {"line1": "1 Main St", "city": "Nowhere", "postal_code": "1", "country": "XX"}
    response = client.post("/api/v1/orders", json=order_body(destination=address), headers=merchant)
    assert response.status_code == 422 and _fields(response) == ["destination.country"], response.text
    response = _scan(client, shop["scanner"], {**scan_body(number, "packed"), "location": {"country": "XX"}})
    assert response.status_code == 422 and _fields(response) == ["location.country"], response.text
    response = _scan(client, shop["scanner"], scan_body(number, "in_transit", substatus="in_transit.teleported"))
    assert response.status_code == 422 and _fields(response) == ["substatus"], response.text
    known = scan_body(number, "in_transit", substatus="in_transit.arrived_at_hub")
    assert _scan(client, shop["scanner"], known).status_code == 201

    placed = datetime.now(UTC) - timedelta(days=2)
    for promised in ((placed - timedelta(days=1)).date(), (placed + timedelta(days=400)).date()):
        body = order_body(placed_at=placed.isoformat(), promised_delivery_date=promised.isoformat())
        response = client.post("/api/v1/orders", json=body, headers=merchant)
        assert response.status_code == 422 and _fields(response) == ["promised_delivery_date"], response.text
    body = order_body(placed_at=placed.isoformat(), promised_delivery_date=placed.date().isoformat())
    assert client.post("/api/v1/orders", json=body, headers=merchant).status_code == 201


def test_refused_orders_change_nothing(client: TestClient, shop: dict[str, str]) -> None:
    merchant = auth(shop["merchant"])
    for body in (
        order_body(order_number=f"R-{uuid.uuid4().hex[:6]}", placed_at="0001-01-01T00:00:00+00:00"),
        order_body(order_number="A/1"),
        order_body(customer={"name": "x\u0000", "email": "a@example.com"}),
    ):
        assert (
            client.post("/api/v1/orders", content=_escaped(body), headers=_json_headers(shop["merchant"])).status_code
            == 422
        )
    assert client.get("/api/v1/orders", headers=merchant).json()["orders"] == []


def test_the_order_lookup_form_takes_control_characters_as_a_failed_attempt(
    client: TestClient, make_order: Callable[..., dict[str, Any]]
) -> None:
    make_order(order_number="LOOK-1")
    form = {"order_number": "LOOK-1\u0000", "verifier": "nobody@example.com"}
    response = client.post("/track/order", data=form, follow_redirects=False)
    assert response.status_code == 404, response.text[:300]
    right = client.post(
        "/track/order", data={"order_number": "LOOK\u00001", "verifier": "ada@example.com"}, follow_redirects=False
    )
    assert right.status_code == 404  # the control character is dropped, not the rest: LOOK1 is another number
    opened = client.post(
        "/track/order", data={"order_number": "LOOK-1\u0007", "verifier": "ada@example.com"}, follow_redirects=False
    )
    assert opened.status_code == 303, opened.text[:300]


def test_a_correction_voids_a_scan_but_never_the_order_or_another_correction(
    client: TestClient, shop: dict[str, str], make_order: Callable[..., dict[str, Any]]
) -> None:
    order = make_order(placed_at=(datetime.now(UTC) - timedelta(hours=2)).isoformat())
    number = order["parcels"][0]["tracking_number"]
    packed = scan_body(number, "packed")
    assert _scan(client, shop["scanner"], packed).status_code == 201
    voiding = scan_body(number, "correction", voids_event_id=packed["event_id"])
    assert _scan(client, shop["scanner"], voiding).status_code == 201
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "order_placed"

    events = client.get(f"/api/v1/orders/{order['order_number']}", headers=auth(shop["merchant"])).json()
    placed = next(e for e in events["parcels"][0]["events"] if e["status"] == "order_placed")
    for target, status in ((placed["event_id"], "order_placed"), (voiding["event_id"], "correction")):
        refused = _scan(client, shop["scanner"], scan_body(number, "correction", voids_event_id=target))
        assert refused.status_code == 422 and _fields(refused) == ["voids_event_id"]
        assert f"names an event of status {status}, which cannot be voided" in refused.text
    unknown = _scan(client, shop["scanner"], scan_body(number, "correction", voids_event_id=str(uuid.uuid4())))
    assert unknown.status_code == 422 and "names no event of this parcel" in unknown.text
    assert client.get(f"/api/v1/tracking/{number}").json()["status"] == "order_placed"
