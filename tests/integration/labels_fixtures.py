"""Fixtures and helpers for the label tests: an app with merchants and keys, and real PDF rasterizing/decoding."""

from __future__ import annotations

import asyncio
import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from ordertrail.app import create_app
from ordertrail.domain.accounts.keys import Role
from ordertrail.services.accounts import keys as key_service
from ordertrail.services.accounts import merchants as merchant_service
from ordertrail.services.context import Services
from ordertrail.settings import Settings
from ordertrail.storage.database import open_database
from ordertrail.storage.migrate import upgrade

BASE_URL = "https://track.example-shop.test"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def order_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /orders body with two parcels; override any top-level field."""
    body: dict[str, Any] = {
        "order_number": f"A-{uuid.uuid4().hex[:8]}",
        "customer": {"name": "Zofia Łukasiewicz", "email": "zofia@example.com"},
        "destination": {
            "line1": "ul. Piotrkowska 104",
            "line2": "mieszkanie 7",
            "city": "Łódź",
            "postal_code": "90-926",
            "country": "PL",
        },
        "parcels": [{"weight_grams": 1240, "reference": "BOX-A"}, {}],
    }
    body.update(overrides)
    return body


@dataclass
class LabelWorld:
    """A running app with two merchants (Shop A, Shop B) and a key of every role."""

    client: TestClient
    settings: Settings
    admin: str
    shop_a: str
    shop_b: str
    scanner: str

    def place(self, key: str | None = None, **overrides: Any) -> dict[str, Any]:
        """Place an order (as Shop A by default) and return the API's order document."""
        response = self.client.post("/api/v1/orders", json=order_body(**overrides), headers=auth(key or self.shop_a))
        assert response.status_code == 201, response.text
        document: dict[str, Any] = response.json()
        return document


def make_keys(settings: Settings) -> dict[str, str]:
    """Create Shop A, Shop B and one key per role through the real use cases."""

    async def work(services: Services) -> dict[str, str]:
        for shop in ("Shop A", "Shop B"):
            await merchant_service.create_merchant(services, name=shop)
        made = {
            "admin": await key_service.create_key(services, role=Role.ADMIN, name="ops"),
            "shop_a": await key_service.create_key(services, role=Role.MERCHANT, name="a", merchant="Shop A"),
            "shop_b": await key_service.create_key(services, role=Role.MERCHANT, name="b", merchant="Shop B"),
            "scanner": await key_service.create_key(services, role=Role.SCANNER, name="bench 1"),
        }
        return {name: key.plaintext for name, key in made.items()}

    async def main() -> dict[str, str]:
        upgrade(settings.resolved_database_url)
        db = open_database(settings.resolved_database_url)
        try:
            return await work(Services(db=db))
        finally:
            await db.close()

    return asyncio.run(main())


@pytest.fixture
def label_world(tmp_path: Path) -> Iterator[LabelWorld]:
    settings = Settings(data_dir=tmp_path / "data", public_base_url=BASE_URL)
    settings.data_dir.mkdir()
    keys = make_keys(settings)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield LabelWorld(client=client, settings=settings, **keys)


def rasterize(pdf: bytes, directory: Path, *, dpi: int, mono: bool = False) -> list[Image.Image]:
    """Every page of ``pdf`` as an image, rendered by poppler's pdftoppm (``mono``: 1-bit, like a thermal head)."""
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / "labels.pdf"
    source.write_bytes(pdf)
    prefix = directory / f"page-{dpi}-{'mono' if mono else 'gray'}"
    mode = ["-mono"] if mono else ["-gray", "-png"]
    subprocess.run(["pdftoppm", "-r", str(dpi), *mode, str(source), str(prefix)], check=True, timeout=60)
    pages = sorted(directory.glob(f"{prefix.name}-*"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [_load(page) for page in pages]


def _load(path: Path) -> Image.Image:
    with Image.open(path) as image:  # read it all now: a lazily open file would leak its handle
        return image.convert("L")


def decode(image: Image.Image) -> dict[str, list[str]]:
    """Every symbol zxing-cpp finds, by format name ("Code128", "QRCode")."""
    found: dict[str, list[str]] = {}
    for result in zxingcpp.read_barcodes(image.convert("L")):
        found.setdefault(result.format.name, []).append(result.text)
    return found


def pdf_text(pdf: bytes, directory: Path) -> list[str]:
    """The text layer of each page, as poppler's pdftotext reads it."""
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / "text.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return text.split("\f")[: pdf_info(pdf, directory)["pages"]]


def pdf_info(pdf: bytes, directory: Path) -> dict[str, Any]:
    """Page count and page size in points, from poppler's pdfinfo."""
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / "info.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(source)], check=True, capture_output=True, text=True, timeout=60).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))  # type: ignore[union-attr]
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", out, re.M)
    assert size is not None
    return {"pages": pages, "size": (float(size.group(1)), float(size.group(2)))}
