"""The label renderer and its parts, in memory."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.orders.order import Address
from ordertrail.domain.tracking import tracking_number as tn
from ordertrail.labels import LabelData, Layout, fonts, render_labels, script, symbols, tracking_page_url

WIDEST = "OTABCDEFGHJK" + tn.check_character("ABCDEFGHJK")


def label(**overrides: object) -> LabelData:
    values: dict[str, object] = {
        "tracking_number": WIDEST,
        "tracking_url": tracking_page_url("https://track.example", WIDEST),
        "sender": "Acme Outdoor GmbH",
        "recipient": "Erika Mustermann",
        "destination": Address(line1="Hauptstraße 5", city="Berlin", postal_code="10115", country="DE"),
        "order_number": "A-1001",
        "parcel_position": 1,
        "parcel_count": 2,
        "weight_grams": 2400,
    }
    values.update(overrides)
    return LabelData(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("grams", "text"),
    [(2400, "2.4 kg"), (1250, "1.3 kg"), (1249, "1.2 kg"), (1000, "1.0 kg"), (20, "0.1 kg"), (None, None)],
)
def test_weight_is_kilograms_with_one_decimal(grams: int | None, text: str | None) -> None:
    assert label(weight_grams=grams).weight_text == text


def test_parcel_line_and_tracking_url() -> None:
    assert label(parcel_position=2, parcel_count=3).parcel_line == "Parcel 2 of 3"
    assert tracking_page_url("https://t.example/", "OT1") == "https://t.example/t/OT1"
    assert tracking_page_url("http://localhost:8000", "OT1") == "http://localhost:8000/t/OT1"


def test_layout_page_sizes_in_points() -> None:
    assert Layout("4x6").page_size == (288.0, 432.0)
    width, height = Layout("a6").page_size
    assert (round(width, 2), round(height, 2)) == (297.64, 419.53)


def test_fit_shrinks_then_cuts_with_an_ellipsis() -> None:
    fonts.register()
    line, size = script.fit("Berlin", bold=True, size=16, max_width=200, min_size=8)
    assert (_plain(line), size) == ("Berlin", 16)
    line, size = script.fit("Wolfschlegelsteinhausenbergerdorff", bold=True, size=16, max_width=200, min_size=8)
    assert _plain(line) == "Wolfschlegelsteinhausenbergerdorff" and 8 <= size < 16
    assert line.width <= 200
    line, size = script.fit("x" * 300, bold=False, size=12, max_width=100, min_size=6.5)
    assert _plain(line).endswith("…") and size == 6.5
    assert line.width <= 100


def _plain(line: script.Line) -> str:
    return "".join(str(run.text) for run in line.runs)


@pytest.mark.parametrize("layout", list(Layout))
def test_code128_uses_whole_dot_modules_of_at_least_15_mil_with_quiet_zones(layout: Layout) -> None:
    width, _ = layout.page_size
    max_width = width - 2 * 10 - 2 * 1.6  # the barcode band inside the label's frame
    canvas = Canvas(io.BytesIO(), pagesize=layout.page_size)
    left, right = symbols.draw_code128(canvas, WIDEST, center_x=width / 2, y=50, height=70, max_width=max_width)
    module_dots = next(d for d in (5, 4, 3, 2) if symbols.code128_width(WIDEST, d) <= max_width)
    assert module_dots >= 3  # 3 dots at 203 dpi = 0.375 mm, well above the 0.25 mm minimum
    quiet = symbols.QUIET_MODULES * module_dots * symbols.DOT
    assert left - quiet >= (width - max_width) / 2 - 0.01
    assert right + quiet <= (width + max_width) / 2 + 0.01
    assert (left / symbols.DOT) == pytest.approx(round(left / symbols.DOT), abs=1e-6)
    assert ((right - left) / symbols.DOT) == pytest.approx(round((right - left) / symbols.DOT), abs=1e-6)


def test_code128_that_cannot_fit_is_refused() -> None:
    canvas = Canvas(io.BytesIO())
    with pytest.raises(ValueError, match="does not fit"):
        symbols.draw_code128(canvas, WIDEST, center_x=100, y=0, height=50, max_width=120)


def test_qr_matrix_decodes_to_the_url() -> None:
    url = tracking_page_url("https://track.example-shop.test", WIDEST)
    matrix = symbols.qr_matrix(url)
    quiet, scale = symbols.QR_QUIET_MODULES, 4
    size = (len(matrix) + 2 * quiet) * scale
    image = Image.new("L", (size, size), 255)
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                x, y = (column + quiet) * scale, (row + quiet) * scale
                image.paste(0, (x, y, x + scale, y + scale))
    [result] = zxingcpp.read_barcodes(image)
    assert result.text == url


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


@pytest.mark.parametrize("layout", list(Layout))
def test_one_page_per_label_at_the_layouts_size(layout: Layout) -> None:
    pdf = render_labels([label(), label(parcel_position=2, weight_grams=None)], layout)
    assert pdf.startswith(b"%PDF-")
    assert _pages(pdf) == 2
    width, height = layout.page_size
    assert _media_box(pdf) == pytest.approx((0, 0, width, height), abs=0.01)


def _media_box(pdf: bytes) -> tuple[float, ...]:
    found = re.search(rb"/MediaBox \[\s*([\d.\s]+)\]", pdf)
    assert found is not None
    return tuple(float(v) for v in found.group(1).split())


def test_rendering_is_deterministic() -> None:
    assert render_labels([label()], Layout.A6) == render_labels([label()], Layout.A6)


def test_no_labels_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        render_labels([], Layout.FOUR_BY_SIX)


def test_long_and_unusual_text_still_renders() -> None:
    long = "Przedsiębiorstwo Handlowo-Usługowe „Żółć” " * 5
    pdf = render_labels(
        [
            label(
                sender=long,
                recipient=long,
                destination=Address(
                    line1=long, line2=long, city=long, region=long, postal_code="SW1A 1AA-99999999", country="PL"
                ),
                order_number="#" * 100,
                parcel_position=100,
                parcel_count=100,
                weight_grams=1_000_000,
                reference="R" * 100,
            )
        ],
        Layout.A6,
    )
    assert _pages(pdf) == 1


def test_emoji_are_left_out_with_their_joiners_but_indic_joiners_stay() -> None:
    assert script.printable("Erika 🎁 Mustermann 👩‍💻") == "Erika Mustermann"
    assert script.printable("Flags 🇩🇪 and ❤️ hearts") == "Flags and ❤ hearts"  # a text heart has a glyph
    assert script.printable("क्\u200dष") == "क्\u200dष"


def test_right_to_left_words_and_numbers_are_in_visual_order() -> None:
    fonts.register()
    line = script.layout("רחוב הרצל 12 (א)", bold=False, size=10)
    assert line.rtl
    # Left to right as printed: the bracketed letter (mirrored), the number, then the street read from the right.
    assert "".join(str(run.text) for run in line.runs) == "(א) 12 לצרה בוחר"
    latin = script.layout("abc 12", bold=False, size=10)
    assert not latin.rtl and [str(run.text) for run in latin.runs] == ["abc 12"]


def test_arabic_is_shaped_into_joined_forms_in_its_own_face() -> None:
    fonts.register()
    [run] = script.layout("الرياض", bold=False, size=10).runs
    assert run.font == "LabelArabic"
    glyphs = str(run.text)
    assert any(0xFE70 <= ord(character) <= 0xFEFF for character in glyphs)  # joined: initial, medial, final forms
    assert glyphs[0] == "ض" and glyphs[-1] == "ا"  # in visual order: the last letter is printed leftmost


def test_order_number_is_printed_whole_however_long(tmp_path: Path) -> None:
    number = "ORDER-" + "1234567890" * 9
    pdf = render_labels([label(order_number=number)], Layout.FOUR_BY_SIX)
    source = tmp_path / "label.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(source), "-"], check=True, capture_output=True, text=True).stdout
    assert number in "".join(text.split())  # wrapped over lines, never cut with an ellipsis
    assert "…" not in text
