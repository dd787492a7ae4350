"""Code 128 and QR symbols sized in whole printer dots, so a 203 dpi thermal head prints every bar and
module at the same width (a bar of 2.5 dots comes out as 2 or 3 at random and hurts decoding)."""

from __future__ import annotations

from typing import Final

from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel
from reportlab.pdfgen.canvas import Canvas

THERMAL_DPI: Final = 203
DOT: Final = 72.0 / THERMAL_DPI  # one printer dot, in points
QUIET_MODULES: Final = 10  # Code 128 needs at least 10 module widths of white on each side
QR_QUIET_MODULES: Final = 4  # the QR standard's quiet zone


def snap(points: float) -> float:
    """The nearest whole number of dots."""
    return round(points / DOT) * DOT


def code128_width(value: str, module_dots: int) -> float:
    """The width of the symbol with its quiet zones, in points."""
    module = module_dots * DOT
    return float(Code128(value, barWidth=module, quiet=0).width) + 2 * QUIET_MODULES * module


def draw_code128(
    canvas: Canvas, value: str, *, center_x: float, y: float, height: float, max_width: float
) -> tuple[float, float]:
    """Draw the widest symbol (quiet zones included) that fits ``max_width``; returns its bars' left and right edge.

    Raises ValueError when even 2-dot modules (0.25 mm, the smallest a 203 dpi head prints reliably) do not fit.
    """
    for module_dots in (5, 4, 3, 2):
        if code128_width(value, module_dots) <= max_width:
            break
    else:
        raise ValueError(f"A Code 128 of {value!r} does not fit in {max_width:.0f} pt.")
    module = module_dots * DOT
    symbol = Code128(value, barWidth=module, barHeight=height, quiet=0)
    left = snap(center_x - symbol.width / 2)
    symbol.drawOn(canvas, left, y)
    return left, left + float(symbol.width)


def qr_matrix(value: str) -> list[list[bool]]:
    """The QR code of ``value`` at error correction level M (15 % may be smudged), smallest version that fits."""
    code = QRCode(None, QRErrorCorrectLevel.M)
    code.addData(value)
    code.make()
    return [[bool(cell) for cell in row] for row in code.modules]


def draw_qr(canvas: Canvas, value: str, *, left: float, top: float, max_size: float, page_height: float) -> float:
    """Draw the QR code (quiet zone included) with the largest whole-dot module that fits; returns its size.

    ``top`` is snapped to the dot grid counted from the top of the page, where a printer (and pdftoppm) starts.
    """
    matrix = qr_matrix(value)
    span = len(matrix) + 2 * QR_QUIET_MODULES
    module_dots = max(1, int(max_size / (span * DOT)))
    module = module_dots * DOT
    left = snap(left)
    top = page_height - snap(page_height - top)
    origin_x = left + QR_QUIET_MODULES * module
    origin_top = top - QR_QUIET_MODULES * module
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            run = column
            while run < len(row) and row[run]:
                run += 1
            # One rectangle per run of dark modules: fewer, seamless shapes than one per module.
            path.rect(
                origin_x + column * module, origin_top - (row_index + 1) * module, (run - column) * module, module
            )
            column = run
    canvas.drawPath(path, stroke=0, fill=1)
    return span * module
