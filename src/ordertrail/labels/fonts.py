"""The label's typeface: DejaVu Sans where the system has it (wide script coverage for addresses),
else Bitstream Vera, which ships inside ReportLab, so labels render on any machine."""

from __future__ import annotations

import functools
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "LabelSans"
BOLD = "LabelSans-Bold"

_DEJAVU_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/TTF"), Path("/usr/share/fonts/dejavu"))
_VERA_DIR = Path(reportlab.__file__).parent / "fonts"


def _font_files() -> tuple[Path, Path]:
    for directory in _DEJAVU_DIRS:
        regular, bold = directory / "DejaVuSans.ttf", directory / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return _VERA_DIR / "Vera.ttf", _VERA_DIR / "VeraBd.ttf"


@functools.cache
def register() -> None:
    """Register the two faces with ReportLab once per process."""
    regular, bold = _font_files()
    pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
    pdfmetrics.registerFont(TTFont(BOLD, str(bold)))


def width(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


def fit(text: str, font: str, size: float, max_width: float, min_size: float) -> tuple[str, float]:
    """Shrink ``text`` down to ``min_size`` to fit ``max_width``; past that, cut it with an ellipsis."""
    while size > min_size and width(text, font, size) > max_width:
        size = max(min_size, size - 0.5)
    if width(text, font, size) <= max_width:
        return text, size
    while text and width(text + "…", font, size) > max_width:
        text = text[:-1]
    return text.rstrip() + "…", size
