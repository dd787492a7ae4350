"""The input rules (domain/inputs.py), one function each: what they let through and why they refuse."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ordertrail.domain import inputs

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("0001-01-01T00:00:00+14:00", True),  # overflows when converted to UTC
        ("9999-12-31T23:00:00-05:00", True),  # overflows the other way
        ("1999-12-31T23:59:59+00:00", True),
        ("2000-01-01T00:30:00+01:00", True),  # 1999 in UTC
        ("2000-01-01T00:00:00+00:00", False),
        ("2026-12-02T12:09:59+00:00", False),  # within the 10 minutes a clock may drift
        ("2026-12-02T12:10:01+00:00", True),
    ],
)
def test_instants_from_2000_to_ten_minutes_ahead(text: str, refused: bool) -> None:
    assert (inputs.instant_problem(datetime.fromisoformat(text), now=NOW) is not None) is refused


def test_rfc3339_needs_a_string_with_an_offset() -> None:
    assert inputs.rfc3339_problem("2026-03-01T09:30:00+01:00") is None
    assert inputs.rfc3339_problem("2026-03-01T08:30:00.123456Z") is None
    for bad in (1764676800, "2026-03-01T09:30:00", "2026-03-01", "yesterday"):
        assert inputs.rfc3339_problem(bad) is not None, bad


def test_scans_up_to_a_day_before_the_order() -> None:
    placed = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert inputs.before_order_problem(placed - timedelta(hours=23), placed) is None
    assert inputs.before_order_problem(placed - timedelta(hours=25), placed) is not None


def test_promises_from_the_day_placed_to_a_year_later() -> None:
    placed = datetime(2026, 3, 2, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert inputs.promise_problem(date(2026, 3, 2), placed) is None  # the shop's day, not UTC's (March 3rd)
    assert inputs.promise_problem(date(2026, 3, 1), placed) is not None
    assert inputs.promise_problem(date(2027, 3, 3), placed) is None
    assert inputs.promise_problem(date(2027, 3, 4), placed) is not None


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800", "\n"])
def test_text_refuses_control_characters(character: str) -> None:
    assert inputs.text_problem(f"a{character}b") is not None


def test_a_multiline_text_keeps_line_breaks_and_tabs_only() -> None:
    assert inputs.text_problem("a\r\n\tb", multiline=True) is None
    assert inputs.text_problem("a\x00b", multiline=True) is not None
    assert inputs.without_controls("LOOK\x00-1\x07") == "LOOK-1"


@pytest.mark.parametrize("number", ["NW-Ж-3", "订单 2026#7", "हिन्दी-1", "A_1.2", "SO#1001", "٣٤"])
def test_order_numbers_of_any_script(number: str) -> None:
    assert inputs.order_number_problem(number) is None


@pytest.mark.parametrize("number", ["", "A/1", "A\r\nB", "😀", "-A", ".", "..", "A;1", 'A"1', "A" * 65, "#1"])
def test_order_numbers_that_could_not_be_served(number: str) -> None:
    assert inputs.order_number_problem(number) is not None


def test_cursor_digits_are_ascii_and_64_bit() -> None:
    assert inputs.ascii_digits("9223372036854775807") == 2**63 - 1
    for bad in ("", "²", "٣", "9223372036854775808", "1e3", "-1", " 1"):
        assert inputs.ascii_digits(bad) is None, bad
    assert inputs.ascii_digits("1000", max_value=999) is None


def test_countries_are_iso_3166_alpha_2() -> None:
    assert len(inputs.COUNTRY_CODES) == 250  # 249 assigned codes and XK
    assert inputs.country_problem("GB") is None and inputs.country_problem("XK") is None
    assert inputs.country_problem("XX") is not None and inputs.country_problem("UK") is not None
