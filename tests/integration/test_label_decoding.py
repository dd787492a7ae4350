"""Labels for real orders, rendered by poppler and read back by a real decoder (zxing-cpp), for both layouts."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import ImageFilter

from ordertrail.domain.tracking import tracking_number as tn
from tests.integration.labels_fixtures import (
    BASE_URL,
    LabelWorld,
    auth,
    decode,
    label_world,
    pdf_info,
    pdf_text,
    rasterize,
)

__all__ = ["label_world"]

# Only letters after the prefix: Code 128 cannot pack them in pairs, so this is the widest symbol there is.
WIDEST = "OTABCDEFGHJK" + tn.check_character("ABCDEFGHJK")
PAGE_SIZES = {"4x6": (288.0, 432.0), "a6": (297.638, 419.528)}


@pytest.mark.parametrize("layout", ["4x6", "a6"])
def test_barcode_and_qr_read_back_exactly_at_thermal_and_office_resolutions(
    label_world: LabelWorld, layout: str, tmp_path: Path
) -> None:
    order = label_world.place(parcels=[{"weight_grams": 1240, "tracking_number": WIDEST}, {}])
    numbers = [parcel["tracking_number"] for parcel in order["parcels"]]
    response = label_world.client.get(
        f"/api/v1/orders/{order['order_number']}/labels.pdf",
        params={"layout": layout},
        headers=auth(label_world.shop_a),
    )
    assert response.status_code == 200, response.text
    pdf = response.content
    info = pdf_info(pdf, tmp_path)
    assert info["pages"] == 2
    assert info["size"] == pytest.approx(PAGE_SIZES[layout], abs=0.01)

    # 203 dpi 1-bit is what a thermal head prints; 300 dpi grey is an office laser printer.
    for dpi, mono in ((203, True), (300, False)):
        pages = rasterize(pdf, tmp_path / f"{layout}-{dpi}", dpi=dpi, mono=mono)
        assert len(pages) == 2
        for page, number in zip(pages, numbers, strict=True):
            symbols = decode(page)
            assert symbols.get("Code128") == [number], (dpi, symbols)
            assert symbols.get("QRCode") == [f"{BASE_URL}/t/{number}"], (dpi, symbols)
            if dpi == 203:
                # A soft print or camera (a 1.2-dot blur): still read. With 2-dot (0.25 mm) modules this fails,
                # however crisp their clean rendering reads: it is what proves the bars are big enough.
                smudged = decode(page.filter(ImageFilter.GaussianBlur(1.2)))
                assert smudged == {"Code128": [number], "QRCode": [f"{BASE_URL}/t/{number}"]}, smudged


@pytest.mark.parametrize("layout", ["4x6", "a6"])
def test_text_layer_has_everything_a_person_reads(label_world: LabelWorld, layout: str, tmp_path: Path) -> None:
    order = label_world.place()
    numbers = [parcel["tracking_number"] for parcel in order["parcels"]]
    response = label_world.client.get(
        f"/api/v1/orders/{order['order_number']}/labels.pdf",
        params={"layout": layout},
        headers=auth(label_world.shop_a),
    )
    first, second = pdf_text(response.content, tmp_path)
    for page, position, number in ((first, 1, numbers[0]), (second, 2, numbers[1])):
        assert f"Order {order['order_number']}" in page
        assert f"Parcel {position} of 2" in page
        assert tn.display(number) in page  # the grouped human-readable line under the barcode
        assert "Shop A" in page  # the sender
        # The address, including characters outside Latin-1, as text a search or a screen reader finds; the town
        # in capitals after the postal code, as Poczta Polska writes it, and the country by name.
        for line in (
            "Zofia Łukasiewicz",
            "ul. Piotrkowska 104",
            "mieszkanie 7",
            "90-926 ŁÓDŹ",
            "90-926",
            "POLAND",
            "PL",
        ):
            assert line in page, line
    assert "1.2 kg" in first  # 1240 g, one decimal
    assert "Ref. BOX-A" in first
    assert " kg" not in second  # the second parcel has no weight: none is printed


def test_single_parcel_label_reads_back(label_world: LabelWorld, tmp_path: Path) -> None:
    order = label_world.place(parcels=[{"weight_grams": 20}])
    number = order["parcels"][0]["tracking_number"]
    response = label_world.client.get(
        f"/api/v1/parcels/{tn.display(number).lower()}/label.pdf",  # typed as people do: grouped, lower case
        params={"layout": "a6"},
        headers=auth(label_world.shop_a),
    )
    assert response.status_code == 200, response.text
    [page] = rasterize(response.content, tmp_path, dpi=203, mono=True)
    assert decode(page) == {"Code128": [number], "QRCode": [f"{BASE_URL}/t/{number}"]}
    [text] = pdf_text(response.content, tmp_path)
    assert "Parcel 1 of 1" in text
    assert "0.1 kg" in text  # 20 g is never printed as 0.0 kg
