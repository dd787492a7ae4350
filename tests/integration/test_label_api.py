"""The label endpoints: who may fetch which labels, and what comes back."""

from __future__ import annotations

from pathlib import Path

import pytest

from ordertrail.domain.tracking import tracking_number as tn
from tests.integration.labels_fixtures import LabelWorld, auth, label_world, pdf_info, pdf_text

__all__ = ["label_world"]


def _paths(world: LabelWorld) -> list[str]:
    order = world.place()
    number = order["parcels"][0]["tracking_number"]
    return [f"/api/v1/parcels/{number}/label.pdf", f"/api/v1/orders/{order['order_number']}/labels.pdf"]


def test_labels_need_a_key(label_world: LabelWorld) -> None:
    for path in _paths(label_world):
        response = label_world.client.get(path)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
    assert label_world.client.post("/api/v1/labels.pdf", json={"order_numbers": ["x"]}).status_code == 401


def test_scanner_keys_may_not_print_labels(label_world: LabelWorld) -> None:
    for path in _paths(label_world):
        assert label_world.client.get(path, headers=auth(label_world.scanner)).status_code == 403
    response = label_world.client.post(
        "/api/v1/labels.pdf", json={"order_numbers": ["x"]}, headers=auth(label_world.scanner)
    )
    assert response.status_code == 403


def test_parcel_label_is_a_pdf_with_a_filename(label_world: LabelWorld) -> None:
    number = label_world.place()["parcels"][1]["tracking_number"]
    response = label_world.client.get(f"/api/v1/parcels/{number}/label.pdf", headers=auth(label_world.shop_a))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'inline; filename="label-{number}.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_order_labels_filename_is_safe(label_world: LabelWorld) -> None:
    label_world.place(order_number="Заказ 1#x")  # spaces, '#' and Cyrillic cannot go in the header as they are
    response = label_world.client.get(
        "/api/v1/orders/%D0%97%D0%B0%D0%BA%D0%B0%D0%B7%201%23x/labels.pdf", headers=auth(label_world.shop_a)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        "inline; filename=\"labels-_1_x.pdf\"; filename*=UTF-8''labels-%D0%97%D0%B0%D0%BA%D0%B0%D0%B7%201%23x.pdf"
    )


def test_another_merchants_labels_are_not_found(label_world: LabelWorld) -> None:
    order = label_world.place(key=label_world.shop_a)
    number = order["parcels"][0]["tracking_number"]
    parcel = label_world.client.get(f"/api/v1/parcels/{number}/label.pdf", headers=auth(label_world.shop_b))
    unknown = label_world.client.get(f"/api/v1/parcels/{tn.generate()}/label.pdf", headers=auth(label_world.shop_b))
    assert parcel.status_code == unknown.status_code == 404
    assert parcel.json() == unknown.json()  # nothing tells Shop B the number exists
    by_order = label_world.client.get(
        f"/api/v1/orders/{order['order_number']}/labels.pdf", headers=auth(label_world.shop_b)
    )
    assert by_order.status_code == 404
    bulk = label_world.client.post(
        "/api/v1/labels.pdf", json={"order_numbers": [order["order_number"]]}, headers=auth(label_world.shop_b)
    )
    assert bulk.status_code == 404
    # The admin sees every merchant's labels.
    assert (
        label_world.client.get(f"/api/v1/parcels/{number}/label.pdf", headers=auth(label_world.admin)).status_code
        == 200
    )


@pytest.mark.parametrize("typed", ["OT123", "OTXXXXXXXXXXX", "not a number at all", "OT" + "0" * 11])
def test_malformed_tracking_number_is_answered_like_an_unknown_one(label_world: LabelWorld, typed: str) -> None:
    unknown = label_world.client.get(f"/api/v1/parcels/{tn.generate()}/label.pdf", headers=auth(label_world.shop_a))
    malformed = label_world.client.get(f"/api/v1/parcels/{typed}/label.pdf", headers=auth(label_world.shop_a))
    assert malformed.status_code == 404
    assert malformed.json() == unknown.json()


def test_bulk_labels_of_many_orders_in_the_order_asked(label_world: LabelWorld, tmp_path: Path) -> None:
    first = label_world.place(parcels=[{}])
    second = label_world.place()  # two parcels
    response = label_world.client.post(
        "/api/v1/labels.pdf",
        json={"order_numbers": [second["order_number"], first["order_number"], second["order_number"]], "layout": "a6"},
        headers=auth(label_world.shop_a),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'inline; filename="labels.pdf"'
    info = pdf_info(response.content, tmp_path)
    assert info["pages"] == 3  # the repeated order prints once
    assert info["size"] == pytest.approx((297.638, 419.528), abs=0.01)
    pages = pdf_text(response.content, tmp_path)
    assert [
        second["order_number"] in pages[0],
        second["order_number"] in pages[1],
        first["order_number"] in pages[2],
    ] == [
        True,
        True,
        True,
    ]
    assert "Parcel 2 of 2" in pages[1]
    assert "Parcel 1 of 1" in pages[2]


def test_bulk_names_every_unknown_order(label_world: LabelWorld) -> None:
    known = label_world.place()["order_number"]
    theirs = label_world.place(key=label_world.shop_b)["order_number"]
    response = label_world.client.post(
        "/api/v1/labels.pdf",
        json={"order_numbers": [known, "NOPE-1", theirs, "NOPE-2"]},
        headers=auth(label_world.shop_a),
    )
    assert response.status_code == 404
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["detail"] == f"No orders 'NOPE-1', {theirs!r}, 'NOPE-2'."
    assert problem["errors"] == [{"field": "order_numbers", "reason": problem["detail"]}]


def test_bulk_limits_and_bad_input_are_422_naming_the_field(label_world: LabelWorld) -> None:
    cases = [
        ({"order_numbers": [f"N{i}" for i in range(501)]}, "order_numbers"),
        ({"order_numbers": []}, "order_numbers"),
        ({"order_numbers": ["A"], "layout": "a4"}, "layout"),
        ({"order_numbers": ["A"], "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        response = label_world.client.post("/api/v1/labels.pdf", json=body, headers=auth(label_world.shop_a))
        assert response.status_code == 422, body
        assert field in {problem["field"] for problem in response.json()["errors"]}, response.json()
    order = label_world.place()
    response = label_world.client.get(
        f"/api/v1/orders/{order['order_number']}/labels.pdf",
        params={"layout": "letter"},
        headers=auth(label_world.shop_a),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.layout"


def test_admin_names_the_merchant_when_an_order_number_is_shared(label_world: LabelWorld, tmp_path: Path) -> None:
    label_world.place(key=label_world.shop_a, order_number="SHARED-1")
    label_world.place(key=label_world.shop_b, order_number="SHARED-1", parcels=[{}])
    path = "/api/v1/orders/SHARED-1/labels.pdf"
    ambiguous = label_world.client.get(path, headers=auth(label_world.admin))
    assert ambiguous.status_code == 422
    assert ambiguous.json()["errors"][0]["field"] == "merchant"
    named = label_world.client.get(path, params={"merchant": "Shop B"}, headers=auth(label_world.admin))
    assert named.status_code == 200
    [page] = pdf_text(named.content, tmp_path)
    assert "Shop B" in page
    unknown = label_world.client.get(path, params={"merchant": "Shop Z"}, headers=auth(label_world.admin))
    assert unknown.status_code == 404
    # A merchant key is already scoped to its merchant: its own order prints.
    assert label_world.client.get(path, headers=auth(label_world.shop_a)).status_code == 200
