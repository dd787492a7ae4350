"""The destination calendars the transit in delivery days is counted with: the estimator's (the process's
configured holidays and official ones, made once per country), or, with estimates turned off, official holidays
only (the configured days are the estimator's settings)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from ordertrail.domain.estimating.calendar import DeliveryCalendar
from ordertrail.services.context import Services
from ordertrail.services.estimating.calendars import calendar_book
from ordertrail.services.ports import Ports

CalendarOf = Callable[[str], DeliveryCalendar]


@lru_cache(maxsize=512)
def _official(country: str) -> DeliveryCalendar:
    return calendar_book().for_destination(country)


def calendars_of(services: Ports) -> CalendarOf:
    """Destination country -> its delivery calendar, as the estimator builds it for that country."""
    runtime = services.estimates if isinstance(services, Services) else None
    return _official if runtime is None else runtime.calendar
