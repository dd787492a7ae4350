"""Labels to print at a packing bench: a station paired with a merchant (``keys pair --merchant``) lists that
merchant's unprinted labels and prints them through the console's routes with its device key: one PDF whose pages
a real decoder (zxing-cpp, after poppler) reads as exactly those parcels, marked printed by the device (the console
sees them so), once per Idempotency-Key. A station of no merchant, and other merchants' parcels, are refused; the
device key reaches nothing else of the console."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ordertrail.cli import app as cli_app
from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body
from tests.integration.labels_fixtures import decode, rasterize


def _pair(client: TestClient, settings: Settings, *options: str) -> str:
    """A device paired as an admin does it (``ordertrail keys pair``); its scanner key."""
    result = CliRunner().invoke(
        cli_app,
        ["keys", "pair", "--name", "Bench 1", *options],
        env={"ORDERTRAIL_DATA_DIR": str(settings.data_dir)},
    )
    assert result.exit_code == 0, result.output
    paired = client.post("/api/v1/pairing/exchange", json={"code": result.output.strip().splitlines()[-1]})
    assert paired.status_code == 201, paired.text
    key: str = paired.json()["key"]
    return key


def _place(client: TestClient, key: str) -> str:
    response = client.post("/api/v1/orders", json=order_body(), headers=auth(key))
    assert response.status_code == 201, response.text
    number: str = response.json()["parcels"][0]["tracking_number"]
    return number


def _to_print(client: TestClient, key: str) -> list[str]:
    response = client.get("/api/v1/labels/to-print", headers=auth(key))
    assert response.status_code == 200, response.text
    return [item["tracking_number"] for item in response.json()["items"]]


def _barcodes(pdf: bytes, directory: Path) -> list[str]:
    found: list[str] = []
    for image in rasterize(pdf, directory, dpi=203, mono=True):
        found.extend(decode(image).get("Code128", []))
    return found


def _prints(client: TestClient, admin: str) -> list[tuple[str, str | None, str, str]]:
    entries: list[dict[str, Any]] = client.get("/api/v1/audit-log", headers=auth(admin)).json()["entries"]
    return sorted(
        (e["action"], e["tracking_number"], e["actor"]["kind"], e["actor"]["name"])
        for e in entries
        if e["action"].startswith("parcel.label_")
    )


def test_a_bench_lists_and_prints_its_merchants_labels_recorded_as_printed_by_the_device(
    client: TestClient, make_key: Callable[..., str], settings: Settings, tmp_path: Path
) -> None:
    shop_a, shop_b, admin = (
        make_key("merchant", merchant="Shop A"),
        make_key("merchant", merchant="Shop B"),
        make_key("admin"),
    )
    bench = _pair(client, settings, "--merchant", "Shop A", "--facility", "Leeds packing")
    first, second = _place(client, shop_a), _place(client, shop_a)
    theirs = _place(client, shop_b)
    assert _to_print(client, bench) == [first, second]  # not Shop B's

    headers = {**auth(bench), "Idempotency-Key": "bench-print-1"}
    body = {"tracking_numbers": [first, second], "layout": "4x6"}
    printed = client.post("/api/v1/labels/print", json=body, headers=headers)
    assert printed.status_code == 200, printed.text
    assert printed.headers["content-type"] == "application/pdf"
    assert _barcodes(printed.content, tmp_path / "printed") == [first, second]
    # The console's list (Shop A's key reads the same one) has them printed, by the device.
    assert _to_print(client, bench) == [] and _to_print(client, shop_a) == []
    expected = sorted(("parcel.label_printed", n, "key", "Bench 1") for n in (first, second))
    assert _prints(client, admin) == expected

    # A retry after a lost answer: the same PDF, nothing recorded twice.
    again = client.post("/api/v1/labels/print", json=body, headers=headers)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert _barcodes(again.content, tmp_path / "again") == [first, second]
    assert _prints(client, admin) == expected

    # A reprint is possible, and recorded as one.
    reprint = client.post("/api/v1/labels/print", json={"tracking_numbers": [first]}, headers=auth(bench))
    assert reprint.status_code == 200 and _barcodes(reprint.content, tmp_path / "reprint") == [first]
    assert ("parcel.label_reprinted", first, "key", "Bench 1") in _prints(client, admin)

    # Another merchant's parcel is unknown to the bench, and nothing is printed.
    refused = client.post("/api/v1/labels/print", json={"tracking_numbers": [theirs]}, headers=auth(bench))
    assert refused.status_code == 404 and theirs in refused.json()["detail"]
    assert _to_print(client, shop_b) == [theirs]

    # The bench is still a scanner: it scans any parcel, and reads nothing else of the console.
    scanned = client.post("/api/v1/scans", json=scan_body(theirs, "packed"), headers=auth(bench))
    assert scanned.status_code == 201, scanned.text
    assert client.get("/api/v1/parcels", headers=auth(bench)).status_code == 403
    assert client.get(f"/api/v1/parcels/{first}/timeline", headers=auth(bench)).status_code == 403


def test_a_station_of_no_merchant_is_told_how_to_pair_for_labels(
    client: TestClient, make_key: Callable[..., str], settings: Settings
) -> None:
    shop_a = make_key("merchant", merchant="Shop A")
    number = _place(client, shop_a)
    hub = _pair(client, settings)
    listed = client.get("/api/v1/labels/to-print", headers=auth(hub))
    assert listed.status_code == 403 and "--merchant" in listed.json()["detail"], listed.text
    printed = client.post("/api/v1/labels/print", json={"tracking_numbers": [number]}, headers=auth(hub))
    assert printed.status_code == 403
    assert _to_print(client, shop_a) == [number]

    # A scanner key made for a bench (``keys create --role scanner --merchant``) is one as well.
    made = make_key("scanner", name="Bench 3", merchant="Shop A")
    assert _to_print(client, made) == [number]
    assert client.post("/api/v1/orders", json=order_body(), headers=auth(made)).status_code == 403  # no merchant key

    unknown = CliRunner().invoke(
        cli_app,
        ["keys", "pair", "--name", "Bench 2", "--merchant", "No Such Shop"],
        env={"ORDERTRAIL_DATA_DIR": str(settings.data_dir)},
    )
    assert unknown.exit_code != 0 and "No merchant 'No Such Shop'" in unknown.output, unknown.output
