"""The scanner station's server side: pairing codes, /me, frame decoding, scan feedback facts, key limits."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from ordertrail.cli import app as cli_app
from ordertrail.services.accounts import pairing as pairing_service
from ordertrail.services.context import Services
from ordertrail.settings import Settings
from tests.conftest import auth, scan_body

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def make_code(
    run_services: Callable[..., Any], *, minutes: int = 10, facility: str | None = None, at: datetime | None = None
) -> str:
    async def work(services: Services) -> str:
        if at is not None:
            services = Services(db=services.db, clock=lambda: at)
        code = await pairing_service.create_pairing_code(services, name="Bench 7", facility=facility, minutes=minutes)
        return code.display

    result: str = run_services(work)
    return result


def barcode_image(text: str, fmt: zxingcpp.BarcodeFormat, *, image_format: str) -> bytes:
    """A real barcode, drawn by zxing-cpp's writer, on a white margin like a photographed label."""
    drawn = zxingcpp.create_barcode(text, fmt).to_image(scale=4)
    height, width = drawn.shape[0], drawn.shape[1]
    symbol = Image.frombuffer("L", (width, height), bytes(memoryview(drawn)), "raw", "L", 0, 1)
    canvas = Image.new("L", (width + 200, height + 200), 255)
    canvas.paste(symbol, (100, 100))
    out = io.BytesIO()
    canvas.convert("RGB").save(out, format=image_format, quality=90)
    return out.getvalue()


# ---- pairing --------------------------------------------------------------------------------------------


def test_a_pairing_code_is_exchanged_once_for_a_scanner_key_bound_to_its_facility(
    client: TestClient, run_services: Callable[..., Any], make_order: Callable[..., dict[str, Any]]
) -> None:
    code = make_code(run_services, facility="Leeds DC")
    assert re.fullmatch(r"[2-9A-HJ-NP-TW-Z]{4}-[2-9A-HJ-NP-TW-Z]{4}", code)
    response = client.post("/api/v1/pairing/exchange", json={"code": code.lower().replace("-", " ")})
    assert response.status_code == 201, response.text
    paired = response.json()
    assert paired["role"] == "scanner" and paired["name"] == "Bench 7" and paired["facility"] == "Leeds DC"
    me = client.get("/api/v1/me", headers=auth(paired["key"])).json()
    assert me == {"key_id": paired["key_id"], "role": "scanner", "name": "Bench 7", "facility": "Leeds DC"}

    order = make_order()
    number = order["parcels"][0]["tracking_number"]
    scanned = client.post("/api/v1/scans", json=scan_body(number, "packed"), headers=auth(paired["key"]))
    assert scanned.status_code == 201

    again = client.post("/api/v1/pairing/exchange", json={"code": code})
    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"


def test_an_expired_pairing_code_is_refused(client: TestClient, run_services: Callable[..., Any]) -> None:
    code = make_code(run_services, minutes=5, at=datetime.now(UTC) - timedelta(minutes=6))
    assert client.post("/api/v1/pairing/exchange", json={"code": code}).status_code == 401


def test_malformed_pairing_codes_are_refused_as_invalid_codes(client: TestClient) -> None:
    for code in ("", "ABC", "ABCD-EFG0", "x" * 32):
        response = client.post("/api/v1/pairing/exchange", json={"code": code})
        assert response.status_code == 401, code
    assert client.post("/api/v1/pairing/exchange", json={"code": 12345678}).status_code == 422
    assert client.post("/api/v1/pairing/exchange", json={"code": "x" * 33}).status_code == 422


def test_guessing_pairing_codes_is_locked_out_even_for_a_right_code(
    tmp_path: Any, run_services: Callable[..., Any]
) -> None:
    settings = Settings(data_dir=tmp_path / "data", pairing_max_failures=3)
    from ordertrail.app import create_app

    with TestClient(create_app(settings)) as client:
        code = make_code(run_services)
        for guess in ("2222-2222", "3333-3333", "4444-4444"):
            assert client.post("/api/v1/pairing/exchange", json={"code": guess}).status_code == 401
        locked = client.post("/api/v1/pairing/exchange", json={"code": code})
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) > 0


def test_cli_keys_pair_prints_a_code_the_api_accepts(settings: Settings, client: TestClient) -> None:
    result = CliRunner().invoke(
        cli_app,
        ["keys", "pair", "--name", "Dock 3", "--facility", "Dock 3", "--minutes", "5"],
        env={"ORDERTRAIL_DATA_DIR": str(settings.data_dir)},
    )
    assert result.exit_code == 0, result.output
    code = result.output.strip().splitlines()[-1]
    response = client.post("/api/v1/pairing/exchange", json={"code": code})
    assert response.status_code == 201
    assert response.json()["facility"] == "Dock 3"


def test_cli_keys_pair_rejects_a_bad_lifetime(settings: Settings) -> None:
    result = CliRunner().invoke(
        cli_app, ["keys", "pair", "--name", "X", "--minutes", "0"], env={"ORDERTRAIL_DATA_DIR": str(settings.data_dir)}
    )
    assert result.exit_code != 0


# ---- decoding frames ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fmt", "image_format", "media_type"),
    [
        ("OT1MAJXF0MYSN", zxingcpp.BarcodeFormat.Code128, "PNG", "image/png"),
        ("OT1MAJXF0MYSN", zxingcpp.BarcodeFormat.Code128, "JPEG", "image/jpeg"),
        ("http://localhost:8000/t/OT1MAJXF0MYSN", zxingcpp.BarcodeFormat.QRCode, "JPEG", "image/jpeg"),
    ],
)
def test_decode_reads_the_barcode_in_a_frame(
    client: TestClient, make_key: Callable[..., str], text: str, fmt: Any, image_format: str, media_type: str
) -> None:
    key = make_key("scanner")
    frame = barcode_image(text, fmt, image_format=image_format)
    response = client.post("/api/v1/decode", content=frame, headers={**auth(key), "Content-Type": media_type})
    assert response.status_code == 200, response.text
    assert [b["text"] for b in response.json()["barcodes"]] == [text]


def test_decode_finds_nothing_in_a_blank_frame(client: TestClient, make_key: Callable[..., str]) -> None:
    response = client.post(
        "/api/v1/decode", content=PNG_1PX, headers={**auth(make_key("scanner")), "Content-Type": "image/png"}
    )
    assert response.status_code == 200
    assert response.json() == {"barcodes": []}


def test_decode_is_for_scanner_keys_only(client: TestClient, make_key: Callable[..., str]) -> None:
    headers = {"Content-Type": "image/png"}
    assert client.post("/api/v1/decode", content=PNG_1PX, headers=headers).status_code == 401
    merchant = make_key("merchant", merchant="Shop")
    assert client.post("/api/v1/decode", content=PNG_1PX, headers={**headers, **auth(merchant)}).status_code == 403


def test_decode_refuses_other_types_garbage_and_big_frames(tmp_path: Any, make_key: Callable[..., str]) -> None:
    from ordertrail.app import create_app

    settings = Settings(data_dir=tmp_path / "data", decode_max_bytes=4096)
    key = make_key("scanner")
    with TestClient(create_app(settings)) as client:
        headers = auth(key)
        gif = client.post("/api/v1/decode", content=b"GIF89a", headers={**headers, "Content-Type": "image/gif"})
        assert gif.status_code == 415
        garbage = client.post(
            "/api/v1/decode", content=b"not a jpeg", headers={**headers, "Content-Type": "image/jpeg"}
        )
        assert garbage.status_code == 422
        assert garbage.json()["errors"][0]["field"] == "body"
        big = client.post("/api/v1/decode", content=b"\xff" * 5000, headers={**headers, "Content-Type": "image/jpeg"})
        assert big.status_code == 413


# ---- scan results carry what the station needs for feedback -----------------------------------------------------


def test_scan_results_say_the_previous_status_and_the_effect(
    client: TestClient, make_key: Callable[..., str], make_order: Callable[..., dict[str, Any]]
) -> None:
    key = make_key("scanner")
    number = make_order()["parcels"][0]["tracking_number"]
    first = client.post("/api/v1/scans", json=scan_body(number, "packed"), headers=auth(key)).json()
    assert first["previous"]["status"] == "order_placed"
    assert first["event"]["effect"] == "applied"
    assert first["parcel"]["status_changed_at"]
    second = client.post("/api/v1/scans", json=scan_body(number, "packed"), headers=auth(key)).json()
    assert second["previous"]["status"] == "packed"
    assert second["previous"]["since"] == first["event"]["occurred_at"]  # when it was packed, not recorded
    assert second["event"]["effect"] == "repeat"
    summary = client.get(f"/api/v1/parcels/{number}", headers=auth(key)).json()
    assert summary["status"] == "packed" and summary["status_changed_at"] == first["parcel"]["status_changed_at"]


# ---- scanner key limits ---------------------------------------------------------------------------------------


def test_a_scanner_key_only_posts_scans_and_reads_summaries(
    client: TestClient, make_key: Callable[..., str], make_order: Callable[..., dict[str, Any]]
) -> None:
    key = make_key("scanner")
    order = make_order()
    assert client.get("/api/v1/orders", headers=auth(key)).status_code == 403
    assert client.get(f"/api/v1/orders/{order['order_number']}", headers=auth(key)).status_code == 403
    assert client.post("/api/v1/orders", json={}, headers=auth(key)).status_code == 403
    assert client.get("/api/v1/unmatched-scans", headers=auth(key)).status_code == 403
    number = order["parcels"][0]["tracking_number"]
    assert client.get(f"/api/v1/parcels/{number}", headers=auth(key)).status_code == 200


def test_a_bound_scanner_key_records_its_own_facility_whatever_the_body_says(
    client: TestClient, make_key: Callable[..., str], make_order: Callable[..., dict[str, Any]]
) -> None:
    merchant = make_key("merchant", merchant="Test Shop")
    bound = make_key("scanner", facility="Leeds DC")
    order = make_order()
    number = order["parcels"][0]["tracking_number"]
    body = scan_body(number, "packed", location={"facility": "Somewhere else", "city": "Leeds", "country": "GB"})
    single = client.post("/api/v1/scans", json=body, headers=auth(bound)).json()
    assert single["event"]["location"]["facility"] == "Leeds DC"
    batch = client.post(
        "/api/v1/scans/batch",
        json={"scans": [scan_body(number, "dispatched", location={"facility": "Fake hub"})]},
        headers=auth(bound),
    ).json()
    assert batch["results"][0]["outcome"] == "created"
    events = client.get(f"/api/v1/orders/{order['order_number']}", headers=auth(merchant)).json()["parcels"][0][
        "events"
    ]
    assert [e["location"]["facility"] for e in events if e["status"] in ("packed", "dispatched")] == ["Leeds DC"] * 2


# ---- proof of delivery stays private ----------------------------------------------------------------------------


def test_proof_of_delivery_shows_to_the_merchant_and_never_on_public_tracking(
    client: TestClient, make_key: Callable[..., str], make_order: Callable[..., dict[str, Any]]
) -> None:
    merchant = make_key("merchant", merchant="Test Shop")
    scanner = make_key("scanner")
    order = make_order()
    number = order["parcels"][0]["tracking_number"]
    for status in ("packed", "dispatched", "in_transit", "out_for_delivery"):
        assert client.post("/api/v1/scans", json=scan_body(number, status), headers=auth(scanner)).status_code == 201
    proof = {"recipient_name": "Grace Hopper", "signature_png_base64": base64.b64encode(PNG_1PX).decode()}
    delivered = scan_body(number, "delivered", proof=proof, location={"city": "Leeds", "lat": 53.8, "lon": -1.55})
    assert client.post("/api/v1/scans", json=delivered, headers=auth(scanner)).status_code == 201

    private = client.get(f"/api/v1/orders/{order['order_number']}", headers=auth(merchant)).json()
    event = next(e for e in private["parcels"][0]["events"] if e["status"] == "delivered")
    assert event["proof"]["recipient_name"] == "Grace Hopper"
    assert base64.b64decode(event["proof"]["signature_png_base64"]) == PNG_1PX

    public = client.get(f"/api/v1/tracking/{number}")
    assert public.status_code == 200
    text = public.text
    for secret in ("Grace Hopper", "proof", "signature", "recipient", "53.8", "-1.55", "Ada Lovelace"):
        assert secret not in text
