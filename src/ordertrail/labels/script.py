"""Text in any script, as a line of glyph runs in the order they are printed, left to right.

A line is split into runs of one face and one direction: the face per character (fonts.face_for), the direction
from the Unicode bidirectional algorithm (python-bidi: the levels of rules P–I, then rule L2 to reorder runs).
Each run is shaped by HarfBuzz (through ReportLab), which joins Arabic letters, places Indic and Thai vowel
signs and, for a right-to-left run, gives its glyphs in visual order. Characters no face has a glyph for —
emoji, mostly — are left out, with the joiners and variation selectors that belong to them, so nothing prints
as an empty box.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bidi import algorithm as uba
from reportlab.lib.abag import ABag
from reportlab.pdfbase.ttfonts import ShapedStr, shapeFragWord
from reportlab.pdfgen.canvas import Canvas

from ordertrail.labels import fonts

ELLIPSIS = "…"
_ZWJ, _ZWNJ = "\u200d", "\u200c"
_SELECTORS = {chr(c) for c in range(0xFE00, 0xFE10)} | {chr(c) for c in range(0xE0020, 0xE0080)}
_MIRRORED = str.maketrans("()[]{}<>«»", ")(][}{><»«")
# Kerning, and no optional ligatures: "st" or "ffi" as one glyph would read back (pdftotext, a screen reader,
# a search) as "ﬆ" or "ﬃ". Required ones (Arabic lam-alef, Indic conjuncts) are on whatever this says.
_FEATURES = {"kern": True, "liga": False, "dlig": False}


@dataclass(frozen=True, slots=True)
class Run:
    """Glyphs of one face, ready to draw at a pen position; ``width`` in points at the size it was shaped for."""

    text: str  # a ShapedStr when HarfBuzz changed anything (ligatures, joining, reordering)
    font: str
    width: float
    emboldened: bool = False  # bold asked of a face that has none: stroked as well as filled


@dataclass(frozen=True, slots=True)
class Line:
    runs: tuple[Run, ...]  # left to right as printed
    rtl: bool  # the paragraph direction: a right-to-left line is aligned to the right

    @property
    def width(self) -> float:
        return sum(run.width for run in self.runs)


def printable(text: str) -> str:
    """``text`` without what no face can print: emoji with their selectors, skin tones and joiners."""
    kept: list[str] = []
    dropped = False
    for character in text:
        if character in _SELECTORS:
            continue
        if character == _ZWJ:
            if dropped:  # the joiner of an emoji sequence ("👩‍💻"); in Indic and Arabic text it stays
                continue
            kept.append(character)
            continue
        if character in (_ZWNJ, " ") or fonts.face_for(character) is not None:
            kept.append(character)
            dropped = False
        else:
            dropped = True
    return " ".join("".join(kept).split())


def _levels(text: str) -> tuple[list[int], bool]:
    """The resolved embedding level of each character (rules P2–I2) and whether the paragraph is right to left."""
    storage = uba.get_empty_storage()
    base = uba.get_base_level(text)
    storage["base_level"] = base
    storage["base_dir"] = ("L", "R")[base]
    uba.get_embedding_levels(text, storage)
    uba.explicit_embed_and_overrides(storage)
    uba.resolve_weak_types(storage)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    return [int(char["level"]) for char in storage["chars"]], base == 1


def _is_attached(character: str) -> bool:
    """Marks, digits, spaces and punctuation keep the face of the text around them (one shaped run)."""
    return not unicodedata.category(character).startswith("L")


def _logical_runs(text: str, levels: Sequence[int]) -> list[tuple[str, fonts.Loaded, int]]:
    runs: list[tuple[str, fonts.Loaded, int]] = []
    previous: fonts.Loaded | None = None
    for character, level in zip(text, levels, strict=True):
        face = fonts.face_for(character, previous if _is_attached(character) else None)
        if face is None:
            continue
        if runs and runs[-1][1] is face and runs[-1][2] == level:
            runs[-1] = (runs[-1][0] + character, face, level)
        else:
            runs.append((character, face, level))
        previous = face
    # Spaces at either end of a run become runs of their own: ReportLab drops the advance of a shaped run's
    # leading space, which glued "فهد" to the house number after it.
    split: list[tuple[str, fonts.Loaded, int]] = []
    for text_, face, level in runs:
        core = text_.strip(" ")
        if not core:
            split.append((text_, face, level))
            continue
        start = text_.index(core)
        pieces = (text_[:start], core, text_[start + len(core) :])
        split.extend((piece, face, level) for piece in pieces if piece)
    return split


def _visual_order(runs: list[tuple[str, fonts.Loaded, int]]) -> list[tuple[str, fonts.Loaded, int]]:
    """Rule L2 over runs: from the highest level down to the lowest odd one, reverse every sequence at or above it."""
    if not runs:
        return runs
    ordered = list(runs)
    highest = max(level for _, _, level in ordered)
    lowest_odd = min(level for _, _, level in ordered if level % 2) if any(lv % 2 for _, _, lv in ordered) else None
    if lowest_odd is None:
        return ordered
    for floor in range(highest, lowest_odd - 1, -1):
        index = 0
        while index < len(ordered):
            if ordered[index][2] < floor:
                index += 1
                continue
            end = index
            while end < len(ordered) and ordered[end][2] >= floor:
                end += 1
            ordered[index:end] = reversed(ordered[index:end])
            index = end
    return ordered


def _strongly_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(character) in ("R", "AL") for character in text)


def _shape(text: str, face: fonts.Loaded, level: int, bold: bool, size: float) -> Run:
    font = face.bold if bold else face.regular
    if level % 2 and not _strongly_rtl(text):
        # HarfBuzz reverses a run only when its script is right to left: a run of spaces or brackets inside
        # right-to-left text is put in visual order here, brackets mirrored (rule L4).
        text = text[::-1].translate(_MIRRORED)
    word = [fonts.width(text, font, size), (ABag(fontName=font, fontSize=size), text)]
    shaped = shapeFragWord(word, features=_FEATURES)[1][1]
    if isinstance(shaped, ShapedStr):
        advance = sum(glyph.x_advance for glyph in shaped.__shapeData__) * size / 1000
    else:
        advance = fonts.width(shaped, font, size)
    return Run(shaped, font, float(advance), emboldened=bold and face.synthetic_bold)


def layout(text: str, *, bold: bool, size: float) -> Line:
    """``text`` (in logical order, as typed) as a line of shaped runs in visual order."""
    text = printable(text)
    if not text:
        return Line((), False)
    levels, rtl = _levels(text)
    runs = _visual_order(_logical_runs(text, levels))
    return Line(tuple(_shape(part, face, level, bold, size) for part, face, level in runs), rtl)


def fit(text: str, *, bold: bool, size: float, max_width: float, min_size: float) -> tuple[Line, float]:
    """The line shrunk down to ``min_size`` to fit ``max_width``; past that, cut with an ellipsis."""
    line = layout(text, bold=bold, size=size)
    if line.width > max_width:
        # Widths grow in proportion to the size: one step to the largest half point that fits.
        size = max(min_size, int(size * max_width / line.width * 2) / 2)
        line = layout(text, bold=bold, size=size)
    if line.width <= max_width:
        return line, size
    kept = printable(text)
    low, high = 0, len(kept)  # the longest cut of the text that fits with its ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if layout(kept[:middle].rstrip() + ELLIPSIS, bold=bold, size=size).width <= max_width:
            low = middle
        else:
            high = middle - 1
    return layout(kept[:low].rstrip() + ELLIPSIS, bold=bold, size=size), size


def draw(canvas: Canvas, x: float, y: float, line: Line, size: float, *, align: str = "left") -> None:
    """Draw ``line`` with its left edge (``align="left"``), centre or right edge at ``x``."""
    if align == "right":
        x -= line.width
    elif align == "center":
        x -= line.width / 2
    for run in line.runs:
        canvas.setFont(run.font, size)
        if run.emboldened:
            canvas.setLineWidth(size * 0.04)
            canvas.setStrokeColor(canvas._fillColorObj)  # the outline in the text's own colour (black or white)
            canvas.drawString(x, y, run.text, mode=2)
            canvas.setStrokeColorRGB(0, 0, 0)
        else:
            canvas.drawString(x, y, run.text)
        x += run.width
