"""Reading a bulk handover's CSV file (the console's upload) into the bulk handover's items, each with its line.

The columns are the API batch's item fields (``POST /api/v1/handovers``); others are ignored, so a shop's export
can be uploaded as it is. A UTF-8 byte order mark and CRLF line ends (what spreadsheets write) are read as nothing.
A row that breaks a field's size rule, or lacks a required value, is refused in its place (an ``ItemResult``, as
the API answers a malformed item); the file is refused whole only when it cannot be read as a table of handovers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Final

from ordertrail.domain.errors import FieldProblem, InvalidInput
from ordertrail.domain.inputs import text_problem
from ordertrail.services.console.bulk_handover import MAX_HANDOVERS, HandoverItem, Item, ItemResult

MAX_CSV_BYTES: Final = 512 * 1024  # 1,000 rows of ~100 bytes fit five times over; the confirm form carries it back
FIELD = "file"  # what a refused file's problem names: the form's file field
REQUIRED: Final = ("tracking_number", "courier", "courier_tracking_number")
OPTIONAL: Final = ("service_level", "tracking_url")
COLUMNS: Final = REQUIRED + OPTIONAL
TOO_LARGE: Final = f"The file is larger than {MAX_CSV_BYTES // 1024} KiB: split it into smaller files."
# The API item's size rules (api/schemas/couriers.py HandoverItemIn), cell by cell.
MAX_LENGTH: Final = {
    "tracking_number": 64,
    "courier": 32,
    "courier_tracking_number": 60,
    "service_level": 64,
    "tracking_url": 2000,
}


@dataclass(frozen=True, slots=True)
class HandoverFile:
    items: list[Item]
    lines: list[int]  # the line each item starts on (1 is the header), by the item's index

    def line_of(self, index: int) -> int:
        return self.lines[index]


def read_handovers(data: bytes) -> HandoverFile:
    """The file's handovers in order, blank rows skipped. Raises InvalidInput (``file``): too large, not UTF-8,
    no header, a required column missing or named twice, no rows, more than the batch takes."""
    if len(data) > MAX_CSV_BYTES:
        raise InvalidInput(TOO_LARGE, field=FIELD)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InvalidInput(f"The file is not UTF-8 text (line {line}): save it as CSV UTF-8.", field=FIELD) from error
    if "\x00" in text:  # csv refuses NUL with an error of its own; this one names the file
        raise InvalidInput("The file is not a CSV file (it holds NUL bytes).", field=FIELD)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidInput("The file is empty: its first line must name the columns.", field=FIELD)
        columns = _columns(header)
        items: list[Item] = []
        lines: list[int] = []
        start = reader.line_num + 1
        for row in reader:
            line, start = start, reader.line_num + 1  # a quoted cell may span lines: the row starts on the first
            if not any(cell.strip() for cell in row):
                continue
            if len(items) == MAX_HANDOVERS:
                raise InvalidInput(f"A file takes at most {MAX_HANDOVERS} handovers: split it.", field=FIELD)
            cells = {name: row[at].strip() if at < len(row) else "" for name, at in columns.items()}
            items.append(_item(len(items), cells))
            lines.append(line)
    except csv.Error as error:
        raise InvalidInput(f"Line {reader.line_num} is not CSV: {error}.", field=FIELD) from error
    if not items:
        raise InvalidInput("The file has a header but no handovers.", field=FIELD)
    return HandoverFile(items, lines)


def _columns(header: list[str]) -> dict[str, int]:
    """Where each known column is; unknown ones are left out."""
    found: dict[str, int] = {}
    for at, name in enumerate(cell.strip().lower() for cell in header):
        if name in COLUMNS:
            if name in found:
                raise InvalidInput(f"The column {name!r} is named twice in the first line.", field=FIELD)
            found[name] = at
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        raise InvalidInput(
            f"The first line must name the columns {', '.join(REQUIRED)} (missing: {', '.join(missing)}).",
            field=FIELD,
        )
    return found


def _item(index: int, cells: dict[str, str]) -> Item:
    problems: list[FieldProblem] = []
    for name, value in cells.items():
        reason = (
            "is required"
            if not value and name in REQUIRED
            else f"must be at most {MAX_LENGTH[name]} characters"
            if len(value) > MAX_LENGTH[name]
            else text_problem(value)
        )
        if reason is not None:
            problems.append(FieldProblem(f"handovers.{index}.{name}", reason))
    number = cells["tracking_number"] or None
    if problems:
        return ItemResult(index, number, "invalid", errors=tuple(problems))
    return HandoverItem(
        tracking_number=cells["tracking_number"],
        # As the parcel page's form: a code typed as UPS is ups.
        courier=cells["courier"].lower(),
        courier_tracking_number=cells["courier_tracking_number"],
        service_level=cells.get("service_level") or None,
        tracking_url=cells.get("tracking_url") or None,
    )
