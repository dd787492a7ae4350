"""The delivery calendar: delivery days, counting and stepping in them, zones per country."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.estimating.calendar import CalendarBook, DeliveryCalendar, zone_for

BERLIN = zone_for("DE")
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))
calendars = st.builds(
    DeliveryCalendar,
    zone=st.just(BERLIN),
    weekend=st.frozensets(st.integers(0, 6), max_size=3),
    holidays=st.lists(days, max_size=12).map(tuple),
)


def _naive_count(calendar: DeliveryCalendar, start: date, end: date) -> int:
    return sum(calendar.is_delivery_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def test_weekends_and_holidays_are_not_delivery_days() -> None:
    book = CalendarBook(holidays={"DE": frozenset({date(2026, 12, 25)})})
    calendar = book.for_destination("de")
    assert calendar.is_delivery_day(date(2026, 12, 24))  # Thursday
    assert not calendar.is_delivery_day(date(2026, 12, 25))  # holiday (Friday)
    assert not calendar.is_delivery_day(date(2026, 12, 26))  # Saturday
    assert calendar.next_delivery_day(date(2026, 12, 24)) == date(2026, 12, 28)
    # France does not share Germany's holidays.
    assert book.for_destination("FR").is_delivery_day(date(2026, 12, 25))


def test_dates_are_local_to_the_destination() -> None:
    moment = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    assert CalendarBook().for_destination("DE").local_date(moment) == date(2026, 3, 11)
    assert CalendarBook().for_destination("US").local_date(moment) == date(2026, 3, 10)
    assert CalendarBook().for_destination("US", zone="America/Los_Angeles").zone.key == "America/Los_Angeles"
    assert zone_for("ZZ").key == "UTC"


def test_an_unknown_zone_is_named_in_the_error() -> None:
    with pytest.raises(InvalidInput) as raised:
        zone_for("DE", "Mars/Olympus_Mons")
    assert raised.value.problems[0].field == "zone"


def test_a_week_without_delivery_days_is_refused() -> None:
    with pytest.raises(InvalidInput):
        DeliveryCalendar(zone=BERLIN, weekend=frozenset(range(7)))


@given(calendars, days, st.integers(0, 40))
def test_counting_matches_a_day_by_day_count(calendar: DeliveryCalendar, start: date, span: int) -> None:
    end = start + timedelta(days=span)
    assert calendar.delivery_days_between(start, end) == _naive_count(calendar, start, end)
    assert calendar.delivery_days_between(end, start) == 0 or span == 0


@given(calendars, days, st.integers(0, 15))
def test_nth_delivery_day_is_a_delivery_day_n_days_on(calendar: DeliveryCalendar, start: date, n: int) -> None:
    day = calendar.nth_delivery_day(start, n)
    assert calendar.is_delivery_day(day)
    assert day >= start
    if n >= 1:
        assert calendar.delivery_days_between(start, day) == n
    else:
        assert calendar.delivery_days_between(start, day) <= 1
