"""Render sample labels in both layouts to docs/screenshots/label-<layout>.png (203 dpi, as a thermal printer).

Run: .venv/bin/python scripts/label_screenshots.py   (needs pdftoppm from poppler-utils)
"""

from __future__ import annotations

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
)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for layout in Layout:
            pdf = Path(scratch) / f"{layout.value}.pdf"
            pdf.write_bytes(render_labels([SAMPLE], layout))
            target = OUT / f"label-{layout.value}"
            subprocess.run(["pdftoppm", "-r", "203", "-gray", "-png", "-singlefile", str(pdf), str(target)], check=True)
            print(f"wrote {target}.png")


if __name__ == "__main__":
    main()
