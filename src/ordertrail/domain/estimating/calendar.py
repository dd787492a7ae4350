"""The delivery calendar: which local dates a destination receives deliveries, and counting in delivery days.

Dates are always local to the destination. Every country maps to an IANA time zone, and the regions of countries
spanning several (the United States, Brazil, Mexico, Russia, Australia...) to theirs (``zones.py``); a
destination may also name its zone. Holidays come from an official source per country and region (the
``holidays`` package, injected by the services: the domain stays standard library only), plus and minus the
configured days.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final, Protocol
from zoneinfo import ZoneInfo

from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.estimating.zones import COUNTRY_ZONES, zone_name

# Country (ISO 3166-1 alpha-2) -> the zone used when the destination names neither a zone nor a known region.
DEFAULT_ZONES: Final[Mapping[str, str]] = COUNTRY_ZONES
FALLBACK_ZONE: Final = "UTC"
SATURDAY_SUNDAY: Final = frozenset({5, 6})


def zone_for(country: str, zone: str | None = None, region: str | None = None) -> ZoneInfo:
    """The destination's zone: the one given, else its region's, else the country's, else UTC.

    Raises InvalidInput naming ``zone`` when it is not a known IANA zone.
    """
    name = zone or zone_name(country, region) or FALLBACK_ZONE
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise InvalidInput(f"{name!r} is not a known time zone", field="zone") from error


@dataclass(frozen=True, slots=True)
class DeliveryCalendar:
    """The delivery days of one destination: no weekend days, no holidays, dates in ``zone``."""

    zone: ZoneInfo
    weekend: frozenset[int] = SATURDAY_SUNDAY  # date.weekday() values
    holidays: tuple[date, ...] = ()  # sorted, de-duplicated
    _workdays_per_week: int = field(init=False, repr=False, compare=False)
    _holiday_ordinals: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(set(self.holidays)))
        object.__setattr__(self, "holidays", ordered)
        object.__setattr__(self, "_workdays_per_week", 7 - len(self.weekend))
        # Only holidays that fall on otherwise-working days change any count.
        ordinals = tuple(d.toordinal() for d in ordered if d.weekday() not in self.weekend)
        object.__setattr__(self, "_holiday_ordinals", ordinals)
        if self._workdays_per_week == 0:
            raise InvalidInput("the weekend leaves no delivery day in the week", field="weekend")

    def local_date(self, moment: datetime) -> date:
        """The destination's local date at ``moment`` (timezone-aware)."""
        return moment.astimezone(self.zone).date()

    def is_delivery_day(self, day: date) -> bool:
        """True when ``day`` is neither a weekend day nor a holiday."""
        if day.weekday() in self.weekend:
            return False
        index = bisect_left(self._holiday_ordinals, day.toordinal())
        return not (index < len(self._holiday_ordinals) and self._holiday_ordinals[index] == day.toordinal())

    def delivery_days_between(self, start: date, end: date) -> int:
        """How many delivery days lie in ``(start, end]`` (0 when ``end <= start``)."""
        days = (end - start).days
        if days <= 0:
            return 0
        weeks, rest = divmod(days, 7)
        count = weeks * self._workdays_per_week
        weekday = start.weekday()
        for offset in range(1, rest + 1):
            if (weekday + offset) % 7 not in self.weekend:
                count += 1
        ordinals = self._holiday_ordinals
        count -= bisect_right(ordinals, end.toordinal()) - bisect_right(ordinals, start.toordinal())
        return count

    def next_delivery_day(self, day: date) -> date:
        """The first delivery day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_delivery_day(day):
            day += timedelta(days=1)
        return day

    def nth_delivery_day(self, day: date, n: int) -> date:
        """``day`` itself when ``n`` is 0 and it is a delivery day, else the n-th delivery day after it.

        For a non-delivery ``day``, 0 and 1 both give the next delivery day.
        """
        if n <= 0:
            return day if self.is_delivery_day(day) else self.next_delivery_day(day)
        for _ in range(n):
            day = self.next_delivery_day(day)
        return day


class HolidaySource(Protocol):
    """Official public holidays of a country, or of one of its regions (ISO 3166-2 code without the prefix)."""

    def days(self, country: str, region: str | None) -> frozenset[date]: ...

    def subdivision(self, country: str, region: str | None) -> str | None:
        """The source's code of a region given by code or name (None when it does not know it)."""
        ...


@dataclass(frozen=True, slots=True)
class CalendarBook:
    """The configured calendars: non-delivery weekdays, official holidays plus and minus configured days, zones.

    A destination's holidays are its official ones (``official``: its region's where it names a region the
    source knows, which include the national ones), then the configured ``holidays`` added and the configured
    ``removed`` days taken away (a carrier that delivers on a public holiday).
    """

    weekend: frozenset[int] = SATURDAY_SUNDAY
    holidays: Mapping[str, frozenset[date]] = field(default_factory=dict)
    weekend_by_country: Mapping[str, frozenset[int]] = field(default_factory=dict)
    removed: Mapping[str, frozenset[date]] = field(default_factory=dict)
    official: HolidaySource | None = None

    def for_destination(self, country: str, zone: str | None = None, region: str | None = None) -> DeliveryCalendar:
        """The calendar of a destination in ``country`` (optionally in a region, or an explicitly named zone)."""
        code = country.upper()
        if self.official is not None:
            region = self.official.subdivision(code, region) or region  # "California" -> "CA", for the zone too
        days = set(self.official.days(code, region)) if self.official is not None else set()
        days |= self.holidays.get(code, frozenset())
        days -= self.removed.get(code, frozenset())
        return DeliveryCalendar(
            zone=zone_for(code, zone, region),
            weekend=self.weekend_by_country.get(code, self.weekend),
            holidays=tuple(days),
        )


def holidays_from(pairs: Iterable[tuple[str, date]]) -> dict[str, frozenset[date]]:
    """Group ``(country, date)`` pairs into the per-country holiday sets a CalendarBook takes."""
    grouped: dict[str, set[date]] = {}
    for country, day in pairs:
        grouped.setdefault(country.upper(), set()).add(day)
    return {country: frozenset(days) for country, days in grouped.items()}


def parse_holidays(text: str) -> dict[str, frozenset[date]]:
    """``"DE:2026-12-25, FR:2026-07-14"`` -> holidays per country. Raises InvalidInput naming ``holidays``."""
    pairs: list[tuple[str, date]] = []
    for item in text.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        country, _, day = item.partition(":")
        try:
            if len(country.strip()) != 2:
                raise ValueError(country)
            pairs.append((country.strip(), date.fromisoformat(day.strip())))
        except ValueError as error:
            raise InvalidInput(f"{item!r} is not COUNTRY:YYYY-MM-DD", field="holidays") from error
    return holidays_from(pairs)
