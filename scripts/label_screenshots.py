"""Render sample labels in both layouts to docs/screenshots/label-<layout>.png (203 dpi, as a thermal printer),
and labels in four scripts and layouts (Japan, Saudi Arabia, India, the UK) to docs/screenshots/label-<country>.png.

Run: .venv/bin/python scripts/label_screenshots.py   (needs pdftoppm from poppler-utils)
"""

from __future__ import annotations

import dataclasses
import subprocess
import tempfile
from pathlib import Path

from ordertrail.domain.orders.order import Address
from ordertrail.domain.tracking import tracking_number as tn
from ordertrail.labels import LabelData, Layout, render_labels, tracking_page_url

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
BODY = "7K3M9QX2HA"
NUMBER = tn.PREFIX + BODY + tn.check_character(BODY)
SAMPLE = LabelData(
    tracking_number=NUMBER,
    tracking_url=tracking_page_url("https://track.example-shop.com", NUMBER),
    sender="Northwind Outdoor Supply",
    recipient="Erika Mustermann",
    destination=Address(
        line1="Hauptstraße 42", line2="Hinterhaus, 3. OG", city="Berlin", postal_code="10115", country="DE"
    ),
    order_number="NW-100482",
    parcel_position=1,
    parcel_count=2,
    weight_grams=2350,
    reference="BOX-A",
    return_address=Address(line1="Unit 4, Riverside Park", city="Leeds", postal_code="LS1 4AP", country="GB"),
)
WORLD = {
    "jp": (
        "山田 太郎",
        Address(line1="丸の内1-1-1", city="千代田区", region="東京都", postal_code="100-0005", country="JP"),
    ),
    "sa": ("محمد العتيبي", Address(line1="شارع الملك فهد 1234", city="الرياض", postal_code="12271", country="SA")),
    "in": (
        "प्रिया शर्मा",
        Address(line1="12 राजपथ", city="नई दिल्ली", region="Delhi", postal_code="110001", country="IN"),
    ),
    "gb": ("Jane Doe", Address(line1="10 Downing Street", city="London", postal_code="SW1A 2AA", country="GB")),
}


def _png(label: LabelData, layout: Layout, name: str, scratch: Path) -> None:
    pdf = scratch / f"{name}.pdf"
    pdf.write_bytes(render_labels([label], layout))
    target = OUT / f"label-{name}"
    subprocess.run(["pdftoppm", "-r", "203", "-gray", "-png", "-singlefile", str(pdf), str(target)], check=True)
    print(f"wrote {target}.png")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for layout in Layout:
            _png(SAMPLE, layout, layout.value, Path(scratch))
        for country, (recipient, destination) in WORLD.items():
            label = dataclasses.replace(SAMPLE, recipient=recipient, destination=destination)
            _png(label, Layout.A6, country, Path(scratch))


if __name__ == "__main__":
    main()
