"""The label renderer: ``render_labels`` draws one page per parcel, black on white for thermal printers.

The page, top to bottom: sender, return address and parcel count; the address, laid out as its country's post
expects (ordertrail.postal); a routing block with the destination's postal code and city large enough to sort by
from a metre away, beside the QR code of the tracking page; order (always whole, wrapped and shrunk if it must
be), parcel and weight; the Code 128 tracking barcode with its human-readable line; the tracking page's address.
Every text goes through labels.script, so any script prints in its own letters and reading order.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.pdfgen.canvas import Canvas

from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.tracking import tracking_number as tn
from ordertrail.labels import fonts, script, symbols
from ordertrail.labels.data import LabelData, Layout
from ordertrail.labels.fonts import BOLD, REGULAR
from ordertrail.postal import LineKind, address_lines

_MARGIN = 10.0
_PAD = 7.0
_FRAME = 1.6
_RULE = 1.0
_HEADER = 44.0
_ROUTING = 90.0
_FACTS = 28.0
_BARCODE = 114.0
_FOOTER = 20.0
_CAPTION = 6.5


@dataclass(frozen=True, slots=True)
class _Box:
    """A horizontal band of the label, in points from the page's bottom-left corner."""

    left: float
    right: float
    bottom: float
    top: float

    @property
    def width(self) -> float:
        return self.right - self.left


def render_labels(labels: Sequence[LabelData], layout: Layout) -> bytes:
    """A PDF with one page per label, sized for ``layout``; raises InvalidInput for no labels."""
    if not labels:
        raise InvalidInput("There are no parcels to print labels for.")
    fonts.register()
    buffer = io.BytesIO()
    # invariant: no creation date or random id, so the same labels give the same bytes.
    canvas = Canvas(buffer, pagesize=layout.page_size, invariant=True, pageCompression=1)
    canvas.setTitle("Shipping labels")
    canvas.setAuthor("ordertrail")
    for label in labels:
        _draw(canvas, label, layout)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw(canvas: Canvas, label: LabelData, layout: Layout) -> None:
    width, height = layout.page_size
    left, right, bottom, top = _MARGIN, width - _MARGIN, _MARGIN, height - _MARGIN
    canvas.setLineWidth(_FRAME)
    canvas.rect(left, bottom, right - left, top - bottom, stroke=1, fill=0)

    header = _Box(left, right, top - _HEADER, top)
    footer = _Box(left, right, bottom, bottom + _FOOTER)
    barcode = _Box(left, right, footer.top, footer.top + _BARCODE)
    facts = _Box(left, right, barcode.top, barcode.top + _FACTS)
    routing = _Box(left, right, facts.top, facts.top + _ROUTING)
    address = _Box(left, right, routing.top, header.bottom)

    canvas.setLineWidth(_RULE)
    for y in (header.bottom, routing.top, facts.top, barcode.top, footer.top):
        canvas.line(left, y, right, y)

    _draw_header(canvas, header, label)
    _draw_address(canvas, address, label)
    _draw_routing(canvas, routing, label, page_height=height)
    _draw_facts(canvas, facts, label)
    _draw_barcode(canvas, barcode, label)
    _draw_footer(canvas, footer, label)


def _text(canvas: Canvas, x: float, y: float, text: str, font: str, size: float, *, align: str = "left") -> None:
    """Fixed English captions and numbers in the base face."""
    script.draw(canvas, x, y, script.layout(text, bold=font == BOLD, size=size), size, align=align)


def _fitted(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    font: str,
    size: float,
    max_width: float,
    *,
    align: str = "left",
    natural: bool = False,
) -> None:
    """Any text, shrunk (then cut) to ``max_width``; ``natural``: a right-to-left line is set from the right edge
    of its ``max_width`` instead of the left."""
    line, fitted_size = script.fit(text, bold=font == BOLD, size=size, max_width=max_width, min_size=min(size, 6.5))
    if natural and line.rtl and align == "left":
        x, align = x + max_width, "right"
    script.draw(canvas, x, y, line, fitted_size, align=align)


def _draw_header(canvas: Canvas, box: _Box, label: LabelData) -> None:
    count = f"{label.parcel_position}/{label.parcel_count}"
    count_size = 20.0
    count_width = max(fonts.width(count, BOLD, count_size) + 2 * _PAD, 52.0)
    _text(canvas, box.left + _PAD, box.top - _PAD - _CAPTION + 1, "FROM", BOLD, _CAPTION)
    text_width = box.width - count_width - 2 * _PAD
    returns = label.return_lines
    if returns:
        # Where the carrier brings a parcel it cannot deliver: the sender's name, then its address on one line.
        _fitted(canvas, box.left + _PAD, box.bottom + 15, label.sender, BOLD, 11, text_width, natural=True)
        _fitted(canvas, box.left + _PAD, box.bottom + 5, ", ".join(returns), REGULAR, 7, text_width, natural=True)
    else:
        _fitted(canvas, box.left + _PAD, box.bottom + 10, label.sender, BOLD, 12, text_width, natural=True)
    # The parcel count, inverted at the top right: the first thing a loader checks on a multi-parcel order.
    canvas.rect(box.right - count_width, box.bottom, count_width, box.top - box.bottom, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    _text(canvas, box.right - count_width / 2, box.top - _PAD - _CAPTION + 1, "PARCEL", BOLD, _CAPTION, align="center")
    _fitted(
        canvas, box.right - count_width / 2, box.bottom + 9, count, BOLD, count_size, count_width - 6, align="center"
    )
    canvas.setFillColorRGB(0, 0, 0)


_LINE_STYLE = {
    LineKind.RECIPIENT: (BOLD, 14.0),
    LineKind.STREET: (REGULAR, 12.0),
    LineKind.LOCALITY: (BOLD, 13.0),
    LineKind.COUNTRY: (REGULAR, 12.0),
}


def _address_lines(label: LabelData) -> list[tuple[str, str, float]]:
    """The address as (text, font, size) lines, in the order its country's postal workers read them."""
    return [(line.text, *_LINE_STYLE[line.kind]) for line in address_lines(label.destination, label.recipient)]


def _draw_address(canvas: Canvas, box: _Box, label: LabelData) -> None:
    _text(canvas, box.left + _PAD, box.top - _PAD - _CAPTION + 1, "SHIP TO", BOLD, _CAPTION)
    if label.reference:
        reference = f"Ref. {label.reference}"
        _fitted(
            canvas, box.right - _PAD, box.top - _PAD - _CAPTION + 1, reference, REGULAR, 7, box.width / 2, align="right"
        )
    lines = _address_lines(label)
    # The block follows the direction of the address's first line: an Arabic or Hebrew address is set from the
    # right, its Latin country line included.
    rtl = script.layout(lines[0][0], bold=False, size=10).rtl
    available = box.top - box.bottom - 2 * _PAD - _CAPTION - 4
    natural = sum(size * 1.18 for _, _, size in lines)
    # A long address shrinks evenly rather than running into the routing block; a short one grows a little.
    scale = min(1.15, available / natural)
    y = box.top - _PAD - _CAPTION - 4
    for text, font, size in lines:
        size *= scale
        y -= size * 1.18
        max_width = box.width - 2 * _PAD - 8
        line, fitted = script.fit(text, bold=font == BOLD, size=size, max_width=max_width, min_size=min(size, 6.5))
        x = box.right - _PAD if rtl else box.left + _PAD + 8
        script.draw(canvas, x, y + size * 0.22, line, fitted, align="right" if rtl else "left")


def _draw_routing(canvas: Canvas, box: _Box, label: LabelData, *, page_height: float) -> None:
    qr_size = box.top - box.bottom - 4
    qr_left = box.right - qr_size - 2
    symbols.draw_qr(
        canvas, label.tracking_url, left=qr_left, top=box.top - 2, max_size=qr_size, page_height=page_height
    )
    # The sorting block: postal code and city in white on black, readable from across a sorting hall.
    block = _Box(box.left, qr_left - 2, box.bottom, box.top)
    canvas.rect(block.left, block.bottom, block.width, block.top - block.bottom, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    destination = label.destination
    country_size = 16.0
    country_width = fonts.width(destination.country, BOLD, country_size)
    _text(
        canvas,
        block.right - _PAD,
        block.top - _PAD - country_size + 3,
        destination.country,
        BOLD,
        country_size,
        align="right",
    )
    _fitted(
        canvas,
        block.left + _PAD,
        block.bottom + 36,
        destination.postal_code,
        BOLD,
        36,
        block.width - 3 * _PAD - country_width,
    )
    _fitted(canvas, block.left + _PAD, block.bottom + 12, destination.city.upper(), BOLD, 16, block.width - 2 * _PAD)
    canvas.setFillColorRGB(0, 0, 0)


def _draw_facts(canvas: Canvas, box: _Box, label: LabelData) -> None:
    """Order, parcel and weight in three ruled cells (the weight cell stays, empty, when it is unknown)."""
    split_1 = box.left + box.width * 0.44
    split_2 = box.left + box.width * 0.76
    canvas.line(split_1, box.bottom, split_1, box.top)
    canvas.line(split_2, box.bottom, split_2, box.top)
    y = box.bottom + 10
    order_cell = _Box(box.left + _PAD, split_1 - _PAD, box.bottom + 2, box.top - 2)
    _draw_whole(canvas, order_cell, f"Order {label.order_number}")
    _fitted(
        canvas, (split_1 + split_2) / 2, y, label.parcel_line, BOLD, 11, split_2 - split_1 - 2 * _PAD, align="center"
    )
    weight = label.weight_text
    if weight is not None:
        _fitted(canvas, (split_2 + box.right) / 2, y, weight, BOLD, 11, box.right - split_2 - 2 * _PAD, align="center")


def _draw_whole(canvas: Canvas, box: _Box, text: str) -> None:
    """``text`` never cut: on one line if it fits at 6.5 pt or more, else wrapped over as many lines as the box
    holds at the largest size that fits (an order number is what a packer matches the parcel against)."""
    height = box.top - box.bottom
    total = _width_1pt(script.printable(text))
    # Widths grow in proportion to the size: the breaks are found at 1 pt, for one line, two, … and the line
    # count that allows the largest size wins (one line whenever it still reads at 6.5 pt).
    best: tuple[float, list[str]] | None = None
    for count in range(1, 8):
        parts = _wrap(text, total / count * 1.1)
        size = min(11.0, height / (len(parts) * 1.1), box.width / max(_width_1pt(part) for part in parts))
        if count == 1 and size >= 6.5:
            best = (size, parts)
            break
        if best is None or size > best[0]:
            best = (size, parts)
    assert best is not None
    size, breaks = best
    leading = size * 1.1
    top = (box.top + box.bottom) / 2 + len(breaks) * leading / 2
    for index, part in enumerate(breaks):
        line = script.layout(part, bold=True, size=size)
        script.draw(canvas, box.left, top - (index + 1) * leading + size * 0.22, line, size)


@functools.lru_cache(maxsize=4096)
def _width_1pt(text: str) -> float:
    return script.layout(text, bold=True, size=1).width


def _wrap(text: str, line_width: float) -> list[str]:
    """``text`` in parts of at most ``line_width`` (at 1 pt), broken after a space, hyphen or slash when one is in
    the second half of a part, else anywhere."""
    parts: list[str] = []
    rest = script.printable(text)
    while rest:
        low, high = 1, len(rest)  # the longest start of ``rest`` that fits (at least one character)
        while low < high:
            middle = (low + high + 1) // 2
            if _width_1pt(rest[:middle]) <= line_width:
                low = middle
            else:
                high = middle - 1
        cut = low
        breaks = [index for index in range(cut // 2, cut) if rest[index] in " -/"]
        if cut < len(rest) and breaks:
            cut = breaks[-1] + 1
        parts.append(rest[:cut].strip())
        rest = rest[cut:].lstrip()
    return parts


def _draw_barcode(canvas: Canvas, box: _Box, label: LabelData) -> None:
    _text(canvas, box.left + _PAD, box.top - _PAD - _CAPTION + 1, "TRACKING NUMBER", BOLD, _CAPTION)
    bars_bottom = box.bottom + 25
    bars_top = box.top - _PAD - _CAPTION - 5
    # Inside the frame's line width on both sides: nothing but white may touch the quiet zones.
    symbols.draw_code128(
        canvas,
        label.tracking_number,
        center_x=(box.left + box.right) / 2,
        y=bars_bottom,
        height=bars_top - bars_bottom,
        max_width=box.width - 2 * _FRAME,
    )
    human = tn.display(label.tracking_number)
    _fitted(canvas, (box.left + box.right) / 2, box.bottom + 7, human, BOLD, 14, box.width - 2 * _PAD, align="center")


def _draw_footer(canvas: Canvas, box: _Box, label: LabelData) -> None:
    text = "Track: " + label.tracking_url.split("://", 1)[-1]
    _fitted(canvas, (box.left + box.right) / 2, box.bottom + 7, text, REGULAR, 8, box.width - 2 * _PAD, align="center")
