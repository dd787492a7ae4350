"""Zones and public holidays for every country: official days from the holidays package, regions' own zones,
configured days added and removed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ordertrail.domain.estimating import Lane, LaneStats, estimate
from ordertrail.domain.estimating.calendar import zone_for
from ordertrail.domain.estimating.zones import COUNTRY_ZONES, REGION_ZONES
from ordertrail.services.estimating.calendars import PackageHolidays, calendar_book
from tests.unit.estimating.factories import journey

BOOK = calendar_book()


@pytest.mark.parametrize(
    ("country", "zone", "holiday", "name"),
    [
        ("BR", "America/Sao_Paulo", date(2026, 4, 21), "Tiradentes"),
        ("IN", "Asia/Kolkata", date(2026, 1, 26), "Republic Day"),
        ("MX", "America/Mexico_City", date(2026, 9, 16), "Independence Day"),
        ("ZA", "Africa/Johannesburg", date(2026, 6, 16), "Youth Day"),
        ("JP", "Asia/Tokyo", date(2026, 5, 5), "Children's Day"),
        ("US", "America/New_York", date(2026, 7, 3), "Independence Day (observed)"),
    ],
)
def test_countries_that_were_utc_get_their_zone_and_public_holidays(
    country: str, zone: str, holiday: date, name: str
) -> None:
    calendar = BOOK.for_destination(country)
    assert calendar.zone.key == zone, name
    assert holiday.weekday() < 5  # a working day that only the holiday takes away
    assert not calendar.is_delivery_day(holiday), name
    assert calendar.is_delivery_day(date(2026, 3, 10))  # an ordinary Tuesday in all of them


def test_a_local_date_follows_the_country_zone() -> None:
    # 20:00 UTC is already the next day in Tokyo and Kolkata (UTC+5:30 at 01:30), still the same day in Brazil.
    moment = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
    assert BOOK.for_destination("JP").local_date(moment) == date(2026, 3, 11)
    assert BOOK.for_destination("IN").local_date(moment) == date(2026, 3, 11)
    assert BOOK.for_destination("BR").local_date(moment) == date(2026, 3, 10)


@pytest.mark.parametrize("region", ["CA", "US-CA", "ca", "California"])
def test_a_us_region_has_its_own_zone_and_holidays(region: str) -> None:
    calendar = BOOK.for_destination("US", region=region)
    assert calendar.zone.key == "America/Los_Angeles"
    # 06:30 UTC on 11 March is still 10 March on the Pacific coast, already 11 March in New York.
    moment = datetime(2026, 3, 11, 6, 30, tzinfo=UTC)
    assert calendar.local_date(moment) == date(2026, 3, 10)
    assert BOOK.for_destination("US").local_date(moment) == date(2026, 3, 11)
    # César Chávez Day (31 March) is a California holiday, not a federal one.
    assert not calendar.is_delivery_day(date(2026, 3, 31))
    assert BOOK.for_destination("US").is_delivery_day(date(2026, 3, 31))


def test_regions_of_other_wide_countries() -> None:
    assert BOOK.for_destination("BR", region="AM").zone.key == "America/Manaus"
    assert BOOK.for_destination("MX", region="BCN").zone.key == "America/Tijuana"
    assert BOOK.for_destination("US", region="HI").zone.key == "Pacific/Honolulu"
    # A region the table does not know keeps the country's zone.
    assert BOOK.for_destination("BR", region="SP").zone.key == "America/Sao_Paulo"
    assert BOOK.for_destination("IN", region="MH").zone.key == "Asia/Kolkata"


def test_every_country_has_a_zone_that_resolves() -> None:
    assert len(COUNTRY_ZONES) > 240
    assert {"CN", "ZA", "NG", "EG", "AR", "KR", "ID", "TR"} <= set(COUNTRY_ZONES)
    # zone_for raises InvalidInput for a name the zone database does not know: every table entry loads.
    for country, zone in COUNTRY_ZONES.items():
        assert zone_for(country).key == zone
    for country, regions in REGION_ZONES.items():
        for region, zone in regions.items():
            assert zone_for(country, region=region).key == zone
    assert zone_for("ZZ").key == "UTC"


def test_configured_days_are_added_and_removed() -> None:
    book = calendar_book(holidays="BR:2026-03-10", removed="BR:2026-04-21")
    calendar = book.for_destination("BR")
    assert not calendar.is_delivery_day(date(2026, 3, 10))  # added
    assert calendar.is_delivery_day(date(2026, 4, 21))  # Tiradentes removed: this carrier delivers
    assert not calendar.is_delivery_day(date(2026, 9, 7))  # Independence Day still official


def test_official_holidays_can_be_turned_off() -> None:
    calendar = calendar_book(official=False).for_destination("BR")
    assert calendar.is_delivery_day(date(2026, 4, 21))
    assert calendar.zone.key == "America/Sao_Paulo"  # zones do not depend on it


def test_a_country_the_package_does_not_cover_has_only_weekends() -> None:
    source = PackageHolidays(years=range(2026, 2027))
    assert source.days("ZZ", None) == frozenset()
    assert source.subdivision("ZZ", "AB") is None
    assert source.subdivision("US", "Atlantis") is None


def test_an_estimate_in_brazil_skips_tiradentes() -> None:
    # Dispatched on Monday 20 April 2026, estimated that evening with no history (the defaults: two delivery
    # days after the step began at the earliest). In Brazil Tuesday 21 is Tiradentes, so the window starts a
    # delivery day later than in the US: Thursday 23 against Wednesday 22.
    events = journey(datetime(2026, 4, 20, 12, 0, tzinfo=UTC), [1.0, 1.0, 1.0])[:4]
    now = datetime(2026, 4, 21, 0, 30, tzinfo=UTC)  # 21:30 on the 20th in São Paulo
    brazil = estimate(LaneStats(), Lane.of("Warehouse A", "BR", "01000"), events, BOOK.for_destination("BR"), now)
    assert brazil is not None and brazil.earliest == date(2026, 4, 23)
    assert date(2026, 4, 21) not in (brazil.earliest, brazil.likely, brazil.latest)
    us = estimate(LaneStats(), Lane.of("Warehouse A", "US", "10001"), events, BOOK.for_destination("US"), now)
    assert us is not None and us.earliest == date(2026, 4, 22)
