"""Labels for addresses in eight countries and scripts: the barcodes still read back (zxing-cpp on poppler's
rendering), and the address reads in its own script, in its country's line order, with nothing left as a box."""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

import pytest

from tests.integration.labels_fixtures import BASE_URL, LabelWorld, auth, decode, label_world, pdf_text, rasterize
from tests.integration.world_addresses import WORLD, WorldAddress

__all__ = ["label_world"]

_BIDI_CONTROLS = dict.fromkeys([0x200E, 0x200F, *range(0x202A, 0x202F)])
# pdftotext cannot map HarfBuzz's Devanagari conjunct glyphs back to letters (their fonts have no such entries),
# so those lines are checked on the picture, not on the text layer; their numbers and Latin lines are still read.
_NOT_EXTRACTABLE = {"प्रिया शर्मा", "12 राजपथ", "नई दिल्ली 110001"}
# The face each script must be set in (a face without its glyphs prints empty boxes).
_FACE = {
    "JP": "IPAGothic",
    "SA": "NotoSansArabic",
    "IL": "NotoSansHebrew",
    "IN": "NotoSansDevanagari",
    "TH": "NotoSansThai",
}


def _embedded_fonts(pdf: bytes, directory: Path) -> str:
    source = directory / "fonts.pdf"
    source.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(source)], check=True, capture_output=True, text=True, timeout=60).stdout


def _words(line: str) -> list[str]:
    """A line's words after undoing presentation forms and bidi marks, in a fixed order: pdftotext gives a
    right-to-left line in visual order, so only which words are on one line is compared, not their order."""
    return sorted(unicodedata.normalize("NFKC", line).translate(_BIDI_CONTROLS).split())


@pytest.mark.parametrize("world", WORLD, ids=[w.country for w in WORLD])
def test_world_label_reads_back(label_world: LabelWorld, world: WorldAddress, tmp_path: Path) -> None:
    customer = {"name": world.name, "email": "customer@example.com"}
    order = label_world.place(customer=customer, destination=world.destination, parcels=[{"weight_grams": 800}])
    number = order["parcels"][0]["tracking_number"]
    response = label_world.client.get(
        f"/api/v1/orders/{order['order_number']}/labels.pdf", params={"layout": "a6"}, headers=auth(label_world.shop_a)
    )
    assert response.status_code == 200, response.text

    [page] = rasterize(response.content, tmp_path, dpi=203, mono=True)
    assert decode(page) == {"Code128": [number], "QRCode": [f"{BASE_URL}/t/{number}"]}

    [text] = pdf_text(response.content, tmp_path)
    lines = [_words(line) for line in text.splitlines() if line.strip()]
    positions = []
    for expected in world.expect:
        if expected in _NOT_EXTRACTABLE:
            continue
        assert _words(expected) in lines, (expected, text)
        positions.append(lines.index(_words(expected)))
    assert positions == sorted(positions), text  # top to bottom in the country's order
    assert f"Order {order['order_number']}" in text
    assert "🎁" not in text and "\ufffd" not in text
    if world.country in _FACE:
        assert _FACE[world.country] in _embedded_fonts(response.content, tmp_path)
    if world.country == "SA":
        # Joined letters read back as Arabic presentation forms (initial, medial, final): the text was shaped.
        assert any(0xFE70 <= ord(character) <= 0xFEFF for character in text)
