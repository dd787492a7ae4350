"""The label's typefaces: a base face for Latin, Greek and Cyrillic, and one face per other script, so an
address in any of them prints in its own letters rather than as empty boxes.

The faces are Debian's font packages (scripts/install-system installs them): DejaVu Sans (or Noto Sans) as the
base, Noto Sans for Arabic, Hebrew, the Indic scripts, Thai and more, IPA Gothic for Japanese, Droid Sans
Fallback for Chinese and Korean. Only TrueType outlines: ReportLab embeds no CFF fonts (Noto CJK is CFF). Where
no system font is found, Bitstream Vera, which ships inside ReportLab, still prints Latin text on any machine.
A script face is read from disk only when a label first needs one of its characters.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

_NOTO = Path("/usr/share/fonts/truetype/noto")
_VERA = Path(reportlab.__file__).parent / "fonts"


@dataclass(frozen=True, slots=True)
class Face:
    """One typeface: its ReportLab names, files, and the code points it is the first choice for."""

    name: str
    regular: tuple[Path, ...]  # the first file that exists is used
    bold: tuple[Path, ...] = ()  # none: the regular file stands in for bold
    blocks: tuple[tuple[int, int], ...] = ()  # empty: a base face, asked for every character

    def font_name(self, bold: bool) -> str:
        return f"Label{self.name}-Bold" if bold else f"Label{self.name}"


def _noto(script: str, *blocks: tuple[int, int]) -> Face:
    return Face(
        script,
        (_NOTO / f"NotoSans{script}-Regular.ttf",),
        (_NOTO / f"NotoSans{script}-Bold.ttf",),
        blocks,
    )


_CJK = ((0x1100, 0x11FF), (0x2E80, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF),
        (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))  # fmt: skip

# In the order a character looks for its face: the script faces (by their blocks), then the base faces.
FACES: tuple[Face, ...] = (
    _noto("Hebrew", (0x0590, 0x05FF), (0xFB1D, 0xFB4F)),
    _noto("Arabic", (0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    _noto("Devanagari", (0x0900, 0x097F), (0xA8E0, 0xA8FF)),
    _noto("Bengali", (0x0980, 0x09FF)),
    _noto("Gurmukhi", (0x0A00, 0x0A7F)),
    _noto("Gujarati", (0x0A80, 0x0AFF)),
    _noto("Oriya", (0x0B00, 0x0B7F)),
    _noto("Tamil", (0x0B80, 0x0BFF)),
    _noto("Telugu", (0x0C00, 0x0C7F)),
    _noto("Kannada", (0x0C80, 0x0CFF)),
    _noto("Malayalam", (0x0D00, 0x0D7F)),
    _noto("Sinhala", (0x0D80, 0x0DFF)),
    _noto("Thai", (0x0E00, 0x0E7F)),
    _noto("Lao", (0x0E80, 0x0EFF)),
    _noto("Myanmar", (0x1000, 0x109F)),
    _noto("Georgian", (0x10A0, 0x10FF)),
    _noto("Ethiopic", (0x1200, 0x139F)),
    _noto("Khmer", (0x1780, 0x17FF)),
    _noto("Armenian", (0x0530, 0x058F)),
    Face("Japanese", (Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"),), (), _CJK),
    Face("CJK", (Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),), (), _CJK),
    Face(
        "Sans",
        (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), _NOTO / "NotoSans-Regular.ttf", _VERA / "Vera.ttf"),
        (
            Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
            _NOTO / "NotoSans-Bold.ttf",
            _VERA / "VeraBd.ttf",
        ),
    ),
    Face("Noto", (_NOTO / "NotoSans-Regular.ttf",), (_NOTO / "NotoSans-Bold.ttf",)),
    Face("Symbols", (_NOTO / "NotoSansSymbols-Regular.ttf",), (_NOTO / "NotoSansSymbols-Bold.ttf",)),
)
BASE = FACES[-3]
REGULAR = BASE.font_name(bold=False)
BOLD = BASE.font_name(bold=True)

_lock = threading.Lock()  # labels render in worker threads; ReportLab's font registry is one per process


def _first_file(paths: Sequence[Path]) -> Path | None:
    return next((path for path in paths if path.is_file()), None)


@dataclass(frozen=True, slots=True)
class Loaded:
    """A registered face: its font names and the code points it has glyphs for."""

    regular: str
    bold: str
    covers: frozenset[int]
    synthetic_bold: bool = False  # no bold file: bold is drawn as the regular outline, filled and stroked


@functools.cache
def load(face: Face) -> Loaded | None:
    """Register ``face`` with ReportLab (once per process); None when its files are not on this machine."""
    regular = _first_file(face.regular)
    if regular is None:
        return None
    bold = _first_file(face.bold)
    with _lock:
        font = TTFont(face.font_name(False), str(regular))
        pdfmetrics.registerFont(font)
        pdfmetrics.registerFont(TTFont(face.font_name(True), str(bold or regular)))
    covers = frozenset(font.face.charToGlyph)
    return Loaded(face.font_name(False), face.font_name(True), covers, synthetic_bold=bold is None)


def register() -> None:
    """Register the base face; the others are registered on first need."""
    if load(BASE) is None:  # pragma: no cover - Vera ships inside ReportLab, so this cannot be missing
        raise RuntimeError("No label font found.")


def _in_blocks(code: int, face: Face) -> bool:
    return any(low <= code <= high for low, high in face.blocks)


@functools.lru_cache(maxsize=65536)
def _own_face(code: int) -> Loaded | None:
    scripted = [face for face in FACES if face.blocks and _in_blocks(code, face)]
    for face in (*scripted, *(face for face in FACES if not face.blocks)):
        loaded = load(face)
        if loaded is not None and code in loaded.covers:
            return loaded
    return None


def face_for(character: str, preferred: Loaded | None = None) -> Loaded | None:
    """The face to print ``character`` in: ``preferred`` (the face of the text around it) when it has the glyph,
    else the face of the character's script, else the first base face that has it; None when no face does."""
    code = ord(character)
    if preferred is not None and code in preferred.covers:
        return preferred
    return _own_face(code)


def width(text: str, font: str, size: float) -> float:
    """The advance width of plain (unshaped) ``text`` in one font."""
    return float(pdfmetrics.stringWidth(text, font, size))
