"""Labels to print, on a real store: the reader's unprinted parcels are listed, printing some gives one PDF whose
pages a real decoder (zxing-cpp, after poppler) reads as exactly those parcels and marks them printed, a second
print is recorded as a reprint, a replayed Idempotency-Key (or a form submitted twice) records nothing twice,
another merchant's parcels never appear, and support may read the list but not print."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.settings import Settings
from tests.conftest import auth, order_body
from tests.integration.labels_fixtures import decode, rasterize
from tests.support.staff import FAST_HASHING, csrf_of, staff_user


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", **FAST_HASHING)


def _place(client: TestClient, key: str) -> str:
    response = client.post("/api/v1/orders", json=order_body(), headers=auth(key))
    assert response.status_code == 201, response.text
    number: str = response.json()["parcels"][0]["tracking_number"]
    return number


def _to_print(client: TestClient, headers: dict[str, str]) -> list[str]:
    response = client.get("/api/v1/labels/to-print", headers=headers)
    assert response.status_code == 200, response.text
    return [item["tracking_number"] for item in response.json()["items"]]


def _barcodes(pdf: bytes, directory: Path) -> list[str]:
    """The Code 128 of every page, in page order (203 dpi 1-bit, as a thermal head prints)."""
    found: list[str] = []
    for image in rasterize(pdf, directory, dpi=203, mono=True):
        found.extend(decode(image).get("Code128", []))
    return found


def _prints(client: TestClient, admin: str) -> list[tuple[str, str | None]]:
    entries: list[dict[str, Any]] = client.get("/api/v1/audit-log", headers=auth(admin)).json()["entries"]
    return sorted((e["action"], e["tracking_number"]) for e in entries if e["action"].startswith("parcel.label_"))


def test_printing_two_of_three_gives_their_labels_and_leaves_the_third(
    client: TestClient, make_key: Callable[..., str], tmp_path: Path
) -> None:
    shop_a, shop_b, admin = (
        make_key("merchant", merchant="Shop A"),
        make_key("merchant", merchant="Shop B"),
        make_key("admin"),
    )
    first, second, third = (_place(client, shop_a) for _ in range(3))
    theirs = _place(client, shop_b)
    assert _to_print(client, auth(shop_a)) == [first, second, third]
    assert _to_print(client, auth(shop_b)) == [theirs]

    headers = {**auth(shop_a), "Idempotency-Key": "print-1"}
    body = {"tracking_numbers": [first, second.lower()], "layout": "a6"}
    printed = client.post("/api/v1/labels/print", json=body, headers=headers)
    assert printed.status_code == 200, printed.text
    assert printed.headers["content-type"] == "application/pdf"
    assert _barcodes(printed.content, tmp_path / "first") == [first, second]
    assert _to_print(client, auth(shop_a)) == [third]
    assert _prints(client, admin) == sorted([("parcel.label_printed", first), ("parcel.label_printed", second)])

    # The same key again: the same labels, nothing recorded; the same key for other parcels is a conflict.
    again = client.post("/api/v1/labels/print", json=body, headers=headers)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert _barcodes(again.content, tmp_path / "again") == [first, second]
    other = client.post("/api/v1/labels/print", json={"tracking_numbers": [third]}, headers=headers)
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert _prints(client, admin) == sorted([("parcel.label_printed", first), ("parcel.label_printed", second)])
    assert _to_print(client, auth(shop_a)) == [third]

    reprint = client.post("/api/v1/labels/print", json={"tracking_numbers": [first]}, headers=auth(shop_a))
    assert reprint.status_code == 200 and _barcodes(reprint.content, tmp_path / "reprint") == [first]
    assert ("parcel.label_reprinted", first) in _prints(client, admin)

    # Another merchant's parcel is unknown to Shop A (named in the problem), and prints nothing.
    refused = client.post("/api/v1/labels/print", json={"tracking_numbers": [third, theirs]}, headers=auth(shop_a))
    assert refused.status_code == 404 and theirs in refused.json()["detail"]
    assert refused.json()["errors"][0]["field"] == "tracking_numbers"
    assert _to_print(client, auth(shop_a)) == [third] and _to_print(client, auth(shop_b)) == [theirs]
    assert client.get("/api/v1/labels/to-print", headers=auth(make_key("scanner"))).status_code == 403


def test_the_console_page_prints_once_per_form_and_support_only_reads(
    client: TestClient,
    make_key: Callable[..., str],
    run_services: Callable[..., Any],
    settings: Settings,
    tmp_path: Path,
) -> None:
    shop_a, shop_b, admin = (
        make_key("merchant", merchant="Shop A"),
        make_key("merchant", merchant="Shop B"),
        make_key("admin"),
    )
    ours = [_place(client, shop_a) for _ in range(3)]
    theirs = _place(client, shop_b)

    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    overview = client.get("/console").text
    assert '<a class="tile" href="/console/labels"><span class="tile-count">3</span>' in overview
    page = client.get("/console/labels")
    assert page.status_code == 200 and all(n in page.text for n in ours) and theirs not in page.text
    form = {"csrf_token": csrf_of(page.text), "key": _form_key(page.text), "tracking_number": ours[:2]}
    for attempt in ("first", "twice"):  # the same form submitted (or downloaded) twice
        printed = client.post("/console/labels/print", data=form)
        assert printed.status_code == 200, printed.text
        assert printed.headers["content-disposition"] == 'attachment; filename="labels.pdf"'
        assert _barcodes(printed.content, tmp_path / attempt) == ours[:2]
    assert _prints(client, admin) == sorted(("parcel.label_printed", n) for n in ours[:2])
    page = client.get("/console/labels").text
    assert _to_print(client, {}) == [ours[2]]
    assert f'aria-label="Reprint the label of {ours[0]}"' in page
    without_token = client.post("/console/labels/print", data={**form, "csrf_token": ""})
    assert without_token.status_code == 403

    staff_user(client, run_services, settings, "help@example.com", "support", "Shop A")
    assert _to_print(client, {}) == [ours[2]]
    token = {"X-CSRF-Token": csrf_of(client.get("/console/labels").text)}
    refused = client.post("/api/v1/labels/print", json={"tracking_numbers": [ours[2]]}, headers=token)
    assert refused.status_code == 403, refused.text
    page_text = client.get("/console/labels").text
    refused_form = {"csrf_token": csrf_of(page_text), "key": "k-support", "tracking_number": [ours[2]]}
    assert client.post("/console/labels/print", data=refused_form).status_code == 403
    assert "Print labels</button>" not in page_text
    assert _to_print(client, {}) == [ours[2]]


def _form_key(html: str) -> str:
    marker = 'name="key" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
