"""A merchant's logo and support contact, shown to customers: uploaded by API (to a real ``ordertrail serve``) and
from the console settings page, checked by decoding (PNG and JPEG only, 256 KiB, 16–2048 px a side, whole), kept
in the store, served publicly at an address that carries its hash (year-long caching, its own type, nosniff), shown
on the tracking page and the verified order view with the "Need help?" block, and in the customer emails received
by a real SMTP server (an absolute logo URL, the support contact in both parts). Shop A cannot set shop B's logo;
a refused file changes nothing; each change is audited."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFont

from ordertrail.settings import Settings
from tests.conftest import ServerProcess, auth, order_body, wait_for
from tests.support.notify import SmtpServer, smtp_server
from tests.support.staff import FAST_HASHING, csrf_of, staff_user

__all__ = ["smtp_server"]


def png(width: int = 240, height: int = 80, colour: tuple[int, int, int] = (29, 78, 216)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def sample_logo() -> bytes:
    """A shop's logo as merchants upload them: a mark and the name, on a transparent ground (PNG)."""
    image = Image.new("RGBA", (360, 96), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 8, 80, 88), radius=18, fill=(30, 64, 120, 255))
    draw.ellipse((22, 30, 58, 66), outline=(255, 255, 255, 255), width=7)
    draw.text((96, 48), "Northwind", fill=(30, 64, 120, 255), font=ImageFont.load_default(40), anchor="lm")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 120, height: int = 120) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (0, 128, 0)).save(out, "GIF")
    return out.getvalue()


def oversize_png() -> bytes:
    """A valid PNG of 1024 × 1024 px over 256 KiB: noise does not compress (built with zlib, no Pillow encoder)."""
    width = height = 1024
    raw = b"".join(b"\x00" + hashlib.shake_256(row.to_bytes(4, "big")).digest(width * 3) for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><script>alert(1)</script></svg>'


def put_logo(http: httpx.Client | TestClient, merchant_id: int, key: str, data: bytes, media_type: str) -> Any:
    headers = {**auth(key), "Content-Type": media_type}
    return http.put(f"/api/v1/merchants/{merchant_id}/logo", content=data, headers=headers)


def _new_key(server: ServerProcess, role: str, *args: str) -> str:
    made = server.cli("keys", "create", "--role", role, "--name", f"{role}-logos", *args)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


def _logo_img(page: str) -> re.Match[str] | None:
    return re.search(
        r'<img class="shop-logo" src="(/merchant-logos/[^"]+)" alt="([^"]*)" width="(\d+)" height="(\d+)">', page
    )


def test_a_logo_set_by_api_shows_on_the_tracking_page_and_is_served_cached(server: ServerProcess) -> None:
    for shop in ("Shop A", "Shop B"):
        assert server.cli("merchants", "create", shop).returncode == 0
    admin = _new_key(server, "admin")
    shop_a, shop_b = (_new_key(server, "merchant", "--merchant", shop) for shop in ("Shop A", "Shop B"))
    with server.http() as http:
        ids = {m["name"]: m["id"] for m in http.get("/api/v1/merchants", headers=auth(admin)).json()["merchants"]}
        a, b = ids["Shop A"], ids["Shop B"]
        changed = http.patch(
            f"/api/v1/merchants/{a}",
            json={
                "display_name": "Northwind & Co",
                "support_email": "help@northwind.example",
                "support_url": "https://northwind.example/help?from=tracking",
            },
            headers=auth(shop_a),
        )
        assert changed.status_code == 200 and changed.json()["logo"] is None
        placed = http.post("/api/v1/orders", json=order_body(), headers=auth(shop_a))
        number = placed.json()["parcels"][0]["tracking_number"]
        before = http.get(f"/t/{number}").text
        assert _logo_img(before) is None and "Need help?" in before

        image = png(240, 80)
        sha256 = hashlib.sha256(image).hexdigest()
        answer = put_logo(http, a, shop_a, image, "image/png")
        assert answer.status_code == 200, answer.text
        logo = answer.json()["logo"]
        assert logo == {
            "url": f"{server.base_url}/merchant-logos/{a}/{sha256}.png",
            "media_type": "image/png",
            "width": 240,
            "height": 80,
            "size": len(image),
            "sha256": sha256,
        }

        # The tracking page: the logo at 48 px high with its own proportions, named by the shop; the help block.
        page = http.get(f"/t/{number}").text
        found = _logo_img(page)
        assert found is not None, page
        assert found.groups() == (f"/merchant-logos/{a}/{sha256}.png", "Northwind &amp; Co", "144", "48")
        assert 'href="mailto:help@northwind.example"' in page
        assert 'href="https://northwind.example/help?from=tracking"' in page
        assert "ada@example.com" not in page and "Ada" not in page  # nothing personal on the public page

        # Served as it was decoded, cached for a year, never sniffed; revalidated by its hash.
        served = http.get(found.group(1))
        assert served.status_code == 200 and served.content == image
        assert served.headers["content-type"] == "image/png"
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert served.headers["etag"] == f'"{sha256}"'
        assert served.headers["x-content-type-options"] == "nosniff"
        assert http.get(found.group(1), headers={"If-None-Match": f'"{sha256}"'}).status_code == 304
        # Only the current version, under its own type: another hash, extension or merchant is not found.
        for path in (f"/merchant-logos/{a}/{'0' * 64}.png", f"/merchant-logos/{a}/{sha256}.jpg",
                     f"/merchant-logos/{b}/{sha256}.png", f"/merchant-logos/{a}/{sha256}.svg"):  # fmt: skip
            assert http.get(path).status_code == 404, path

        # Refused files: a 422 naming the field, and the logo stays as it was.
        cut = png(300, 100, (10, 200, 10))
        for data, media_type in (
            (SVG, "image/svg+xml"),
            (SVG, "image/png"),  # what it says it is does not matter: what it decodes to does
            (gif(), "image/gif"),
            (oversize_png(), "image/png"),
            (cut[: len(cut) - 30], "image/png"),  # truncated
            (png(8, 8), "image/png"),  # too small to be a logo
            (png(4000, 40), "image/png"),  # too wide
            (b"", "image/png"),
        ):
            refused = put_logo(http, a, shop_a, data, media_type)
            assert refused.status_code == 422, (media_type, len(data), refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
            assert [e["field"] for e in refused.json()["errors"]] == ["logo"], refused.text
        assert http.get(f"/api/v1/merchants/{a}", headers=auth(shop_a)).json()["logo"]["sha256"] == sha256

        # Shop A cannot set or remove shop B's logo (an unknown merchant to it), nor a scanner anyone's.
        assert put_logo(http, b, shop_a, jpeg(), "image/jpeg").status_code == 404
        assert http.delete(f"/api/v1/merchants/{b}/logo", headers=auth(shop_a)).status_code == 404
        assert put_logo(http, a, _new_key(server, "scanner"), jpeg(), "image/jpeg").status_code == 403
        assert http.get(f"/api/v1/merchants/{b}", headers=auth(shop_b)).json()["logo"] is None

        # A JPEG replaces it: a new address; the old one is gone. The same image again is no change.
        replaced = put_logo(http, a, shop_a, jpeg(), "application/octet-stream").json()["logo"]
        assert replaced["media_type"] == "image/jpeg" and replaced["url"].endswith(".jpg")
        assert put_logo(http, a, shop_a, jpeg(), "image/jpeg").json()["logo"] == replaced
        assert http.get(found.group(1)).status_code == 404
        served = http.get(replaced["url"])
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert http.delete(f"/api/v1/merchants/{a}/logo", headers=auth(shop_a)).json()["logo"] is None
        assert http.delete(f"/api/v1/merchants/{a}/logo", headers=auth(shop_a)).status_code == 200
        assert http.get(replaced["url"]).status_code == 404
        assert _logo_img(http.get(f"/t/{number}").text) is None

        # Audited like the other settings: set, replaced, removed (the repeats and the refusals wrote nothing).
        entries = http.get(
            "/api/v1/audit-log", params={"action": "merchant.settings_changed"}, headers=auth(admin)
        ).json()["entries"]
        logos = [e["detail"]["logo"] for e in entries if "logo" in e["detail"]]
        assert [(e["from"] is None, e["to"] is None) for e in logos] == [(False, True), (False, False), (True, False)]
        assert logos[2]["to"].startswith(sha256) and all(e["merchant_id"] == a for e in entries)


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="https://track.example.com",
        smtp_url=smtp_server.url,
        smtp_from="Parcels <parcels@example.com>",
        **FAST_HASHING,
    )


def _text_of(message: Any, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    content: str = part.get_content()
    return content.replace("\r\n", "\n")


def _merchant_ids(client: TestClient, make_key: Callable[..., str]) -> dict[str, int]:
    admin = make_key("admin")
    listed = client.get("/api/v1/merchants", headers=auth(admin))
    return {m["name"]: m["id"] for m in listed.json()["merchants"]}


def test_customer_emails_carry_the_logo_url_and_the_support_contact(
    client: TestClient, make_key: Callable[..., str], smtp_server: SmtpServer
) -> None:
    shop = make_key("merchant", merchant="Northwind")
    merchant_id = _merchant_ids(client, make_key)["Northwind"]
    image = png(160, 40)
    assert put_logo(client, merchant_id, shop, image, "image/png").status_code == 200
    contact = {"support_email": "help@northwind.example", "support_url": "https://northwind.example/help"}
    assert client.patch(f"/api/v1/merchants/{merchant_id}", json=contact, headers=auth(shop)).status_code == 200

    placed = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body = order_body(placed_at=placed, customer={"name": "Ada Lovelace", "email": "ada@example.com"})
    assert client.post("/api/v1/orders", json=body, headers=auth(shop)).status_code == 201
    [message] = wait_for(lambda: smtp_server.to("ada@example.com"), timeout=20, what="the order confirmation")

    logo_url = f"https://track.example.com/merchant-logos/{merchant_id}/{hashlib.sha256(image).hexdigest()}.png"
    html = _text_of(message, "html")
    # An absolute URL from the public base URL (as the tracking links), 48 px high, named by the shop.
    assert f'<img src="{logo_url}" alt="Northwind" width="192" height="48"' in html
    assert 'href="mailto:help@northwind.example"' in html and 'href="https://northwind.example/help"' in html
    plain = _text_of(message, "plain")
    assert (
        "Need help? Contact Northwind:\nEmail: help@northwind.example\nHelp page: https://northwind.example/help"
        in (plain)
    )
    # The address the email names is served (the server behind https://track.example.com is this one).
    served = client.get(logo_url.removeprefix("https://track.example.com"))
    assert served.status_code == 200 and served.content == image

    # A shop without either: no image, no help block, its name where the logo would be.
    other = make_key("merchant", merchant="Plain Shop")
    body = order_body(placed_at=placed, customer={"name": "Bob", "email": "bob@example.com"})
    assert client.post("/api/v1/orders", json=body, headers=auth(other)).status_code == 201
    [plain_message] = wait_for(lambda: smtp_server.to("bob@example.com"), timeout=20, what="the second confirmation")
    assert "<img" not in _text_of(plain_message, "html") and "Need help?" not in _text_of(plain_message, "plain")


def test_a_merchant_user_uploads_and_removes_the_logo_from_the_settings_page(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B")
    ids = _merchant_ids(client, make_key)
    a, b = ids["Shop A"], ids["Shop B"]
    staff_user(client, run_services, settings, "owner@shop-a.example", "merchant", "Shop A")
    page = client.get(f"/console/settings/{a}").text
    assert "No logo yet" in page
    token = csrf_of(page)

    def upload(merchant_id: int, data: bytes, name: str, media_type: str, csrf: str | None = token) -> Any:
        fields = {"csrf_token": csrf} if csrf else {}
        files = {"logo": (name, data, media_type)}
        return client.post(f"/console/settings/{merchant_id}/logo", data=fields, files=files, follow_redirects=False)

    assert upload(a, png(), "logo.png", "image/png", csrf=None).status_code == 403  # no token: nothing changes
    bad = upload(a, SVG, "logo.svg", "image/svg+xml")
    assert bad.status_code == 422 and "A logo is a PNG or JPEG image" in bad.text and 'id="logo-error"' in bad.text
    assert upload(b, png(), "logo.png", "image/png").status_code == 404  # shop B's: not found, not changed

    saved = upload(a, png(64, 64), "logo.png", "image/png")
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=logo_saved")
    page = client.get(saved.headers["location"]).text
    found = _logo_img(page)
    assert found is not None and found.group(2) == "Shop A" and found.group(3, 4) == ("48", "48")
    assert client.get(found.group(1)).headers["content-type"] == "image/png"

    # The verified order view shows it too (the order's own page, reached by its number and email).
    order = client.post("/api/v1/orders", json=order_body(), headers=auth(make_key("merchant", merchant="Shop A")))
    opened = client.post(
        "/track/order",
        data={"order_number": order.json()["order_number"], "verifier": "ada@example.com"},
        follow_redirects=True,
    )
    assert opened.status_code == 200 and _logo_img(opened.text) is not None
    assert "Need help?" not in opened.text  # no support contact set: no empty help block

    removed = client.post(f"/console/settings/{a}/logo/remove", data={"csrf_token": token}, follow_redirects=False)
    assert removed.status_code == 303 and removed.headers["location"].endswith("?done=logo_removed")
    assert "No logo yet" in client.get(removed.headers["location"]).text
    assert client.get(found.group(1)).status_code == 404
    b_settings = client.get(f"/api/v1/merchants/{b}", headers=auth(make_key("admin"))).json()
    assert b_settings["logo"] is None
