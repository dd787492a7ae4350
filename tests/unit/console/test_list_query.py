"""The parcel list's query string and cursors, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordertrail.domain.console.filters import ParcelFilter, Position, Sort, instant, micros, parse_search
from ordertrail.domain.console.query import parse_query
from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.scanning.status import Status


def test_pasted_lists_are_numbers_and_a_single_term_is_also_an_email_or_a_name() -> None:
    pasted = parse_search(" OT1\nOT2, OT3;OT1\r\n")
    assert pasted is not None and pasted.numbers == ("OT1", "OT2", "OT3") and pasted.name is None
    one = parse_search("Ada@Example.com")
    assert one is not None and one.email == "ada@example.com" and one.numbers == ("Ada@Example.com",)
    assert one.name is None  # an email is not also looked for as a name (that reading scans every order)
    number = parse_search("OT7K2M9Q4R8XC")
    assert number is not None and number.name is None and number.email is None
    name = parse_search("  Grace   Hopper ")
    assert name is not None and name.name == "grace hopper" and name.email is None
    assert parse_search("  \n ") is None and parse_search(None) is None


def test_every_parameter_is_parsed_and_empty_ones_are_no_filter() -> None:
    query = parse_query(
        {
            "status": ["exception,in_transit", "delivered"],
            "q": ["OT1 OT2"],
            "reason": ["damaged"],
            "facility": ["Hub North"],
            "country": ["gb"],
            "delayed": ["true"],
            "stalled": ["0"],
            "placed_after": ["2026-12-01"],
            "placed_before": ["2026-12-02T10:00:00 01:00"],  # an unencoded '+' arrives as a space
            "sort": ["last_event_at"],
            "merchant": [""],
            "limit": ["20"],
        }
    )
    f = query.filter
    assert f.statuses == (Status.EXCEPTION, Status.IN_TRANSIT, Status.DELIVERED)
    assert f.reason == "damaged" and f.facility == "Hub North" and f.country == "GB"
    assert f.delayed is True and f.stalled is False and f.sort is Sort.LAST_EVENT_ASC
    assert f.placed_after == datetime(2026, 12, 1, tzinfo=UTC)
    assert f.placed_before is not None and f.placed_before.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    assert query.merchant is None and query.limit == 20 and query.cursor is None


def test_every_bad_parameter_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_query({"status": ["nope"], "country": ["GBR"], "limit": ["500"], "delayed": ["perhaps"]})
    assert sorted(p.field for p in raised.value.problems) == ["country", "delayed", "limit", "status"]


def test_a_filter_is_narrowed_to_the_readers_merchants() -> None:
    assert ParcelFilter().within(None).merchant_ids is None
    assert ParcelFilter().within(frozenset({1, 2})).merchant_ids == {1, 2}
    assert ParcelFilter(merchant_ids=frozenset({2, 3})).within(frozenset({1, 2})).merchant_ids == {2}
    assert ParcelFilter(merchant_ids=frozenset({3})).within(frozenset({1})).merchant_ids == frozenset()


@given(
    st.sampled_from(list(Sort)),
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    st.integers(min_value=1, max_value=2**62),
    st.integers(min_value=1, max_value=2**62),
)
def test_cursors_round_trip_and_belong_to_their_sort(sort: Sort, at: datetime, order_id: int, parcel_id: int) -> None:
    key = (micros(at), order_id, parcel_id) if sort.column == "placed_at" else (micros(at), parcel_id)
    position = Position(sort, key)
    assert Position.decode(position.encode(), sort) == position
    assert instant(key[0]) == at
    other = next(s for s in Sort if s.column != sort.column)
    with pytest.raises(InvalidInput):
        Position.decode(position.encode(), other)


@pytest.mark.parametrize("cursor", ["", "!!!", "x" * 200, Position(Sort.PLACED_DESC, (1, 2)).encode()])
def test_malformed_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidInput):
        Position.decode(cursor, Sort.PLACED_DESC)
