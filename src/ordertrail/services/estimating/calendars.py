"""The delivery calendars of a process: official holidays of every country from the ``holidays`` package, plus
and minus the configured days (settings ``eta_holidays``, ``eta_holidays_removed``, ``eta_official_holidays``).

The domain's ``CalendarBook`` takes the official source as a port, so it stays standard library only.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

from ordertrail.domain.estimating.calendar import CalendarBook, parse_holidays
from ordertrail.domain.estimating.zones import region_code

# Official holidays are computed for these years around today: a backtest of an older history and the
# estimates of the coming months both find theirs. About 50 ms per country, once, when first asked for.
YEARS_BACK, YEARS_AHEAD = 10, 2


class PackageHolidays:
    """``HolidaySource`` backed by the ``holidays`` package: public holidays per country and subdivision."""

    def __init__(self, years: range | None = None) -> None:
        today = date.today().year
        self.years = years if years is not None else range(today - YEARS_BACK, today + YEARS_AHEAD + 1)
        self._days = lru_cache(maxsize=1024)(self._compute)

    def days(self, country: str, region: str | None) -> frozenset[date]:
        """The public holidays of ``country`` (of its region when the package knows it; else the national ones).

        A country the package does not cover has none (weekends and configured days still apply).
        """
        return self._days(country.upper(), self.subdivision(country, region))

    @staticmethod
    def subdivision(country: str, region: str | None) -> str | None:
        """The package's code of ``region`` (``"CA"``, ``"US-CA"`` and ``"California"`` all give ``"CA"``)."""
        code = region_code(country, region)
        if code is None:
            return None
        try:
            entity = holidays.country_holidays(country.upper())
        except NotImplementedError:
            return None
        known = type(entity).subdivisions
        if code in known:
            return code
        aliases = {name.upper(): sub for name, sub in getattr(type(entity), "subdivisions_aliases", {}).items()}
        return aliases.get(code)

    def _compute(self, country: str, subdivision: str | None) -> frozenset[date]:
        try:
            found = holidays.country_holidays(country, subdiv=subdivision, years=self.years)
        except NotImplementedError:  # no such country in the package
            return frozenset()
        return frozenset(found.keys())


@lru_cache(maxsize=1)
def package_holidays() -> PackageHolidays:
    """One source per process: what it computed is shared by every calendar book."""
    return PackageHolidays()


def calendar_book(*, holidays: str = "", removed: str = "", official: bool = True) -> CalendarBook:
    """The calendars for the configured days (``"DE:2026-12-24,..."`` added and removed) and official holidays."""
    return CalendarBook(
        holidays=parse_holidays(holidays),
        removed=parse_holidays(removed),
        official=package_holidays() if official else None,
    )
