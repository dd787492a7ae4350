"""Reading a bulk handover CSV: the API item's fields by column name, each item with the line it starts on, a
spreadsheet's byte order mark and CRLF tolerated, cells refused in their place, the file refused whole only when
it is no table of handovers."""

from __future__ import annotations

import pytest

from ordertrail.domain.errors import InvalidInput
from ordertrail.services.console.bulk_handover import MAX_HANDOVERS, HandoverItem, ItemResult
from ordertrail.services.console.handover_csv import MAX_CSV_BYTES, read_handovers

HEADER = "tracking_number,courier,courier_tracking_number"


def test_columns_by_name_in_any_order_with_unknown_ones_ignored() -> None:
    parsed = read_handovers(
        b"\xef\xbb\xbfService_Level , tracking_url,extra,COURIER,tracking_number,courier_tracking_number\r\n"
        b" express ,https://ups.example/t/1,x, UPS ,OT1, 1Z 5R\r\n"
        b",,,dpd,OT2,DPD-1\r\n"
    )
    assert parsed.items == [
        HandoverItem("OT1", "ups", "1Z 5R", "express", "https://ups.example/t/1"),
        HandoverItem("OT2", "dpd", "DPD-1", None, None),
    ]
    assert parsed.lines == [2, 3]


def test_an_item_keeps_the_line_it_starts_on_across_blank_lines_and_quoted_line_breaks() -> None:
    text = f'note,{HEADER}\n\n"two\nlines",OT1,dpd,DPD-1\n   ,  ,\nlast,OT2,dpd,DPD-2'
    parsed = read_handovers(text.encode())
    assert [i.tracking_number for i in parsed.items] == ["OT1", "OT2"]
    assert parsed.lines == [3, 6]


def test_a_missing_or_overlong_cell_is_refused_in_its_place_naming_its_column() -> None:
    parsed = read_handovers(f"{HEADER},service_level\nOT1,dpd,,\nOT2,dpd,DPD-2,{'x' * 65}\nOT3,dpd,DPD-3\n".encode())
    first, second, third = parsed.items
    assert isinstance(first, ItemResult) and first.outcome == "invalid" and first.index == 0
    assert [(p.field, p.reason) for p in first.errors] == [("handovers.0.courier_tracking_number", "is required")]
    assert isinstance(second, ItemResult)
    assert [(p.field, p.reason) for p in second.errors] == [
        ("handovers.1.service_level", "must be at most 64 characters")
    ]
    assert third == HandoverItem("OT3", "dpd", "DPD-3")  # a short row: the missing optional cells are empty


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "The file is empty"),
        (b"tracking_number,courier\nOT1,dpd\n", "(missing: courier_tracking_number)"),
        (f"{HEADER},courier\n".encode(), "'courier' is named twice"),
        (f"{HEADER}\n".encode(), "no handovers"),
        (f"{HEADER}\nOT1,d\xe9d,DPD-1\n".encode("latin-1"), "not UTF-8 text (line 2)"),
        (f"{HEADER}\nOT1,\x00,DPD-1\n".encode(), "NUL"),
        (f"{HEADER}\n".encode() + b"OT1,dpd,DPD-1\n" * (MAX_HANDOVERS + 1), f"at most {MAX_HANDOVERS} handovers"),
        (b"x" * (MAX_CSV_BYTES + 1), "larger than 512 KiB"),
    ],
)
def test_a_file_that_is_no_table_of_handovers_is_refused_whole(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_handovers(data)
    assert reason in refused.value.detail
    assert [p.field for p in refused.value.problems] == ["file"]
