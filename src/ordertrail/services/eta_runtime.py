"""What estimating needs in a process: the policy, the calendars, and a cache of the lane statistics.

The statistics live in the store (``lane_stat``) and change one delivery at a time. Each process keeps them in
memory, refreshed from the store every ``refresh`` (other processes' deliveries) and updated in place with
the rows its own transactions write. If such a transaction then rolls back, the cache runs one parcel ahead of
the store until the next refresh; estimates tolerate that.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection

from ordertrail.domain.eta.calendar import CalendarBook, DeliveryCalendar, parse_holidays
from ordertrail.domain.eta.estimator import DEFAULT_POLICY, EtaPolicy
from ordertrail.domain.eta.stats import LaneStats
from ordertrail.storage import estimates as estimate_store


@dataclass(frozen=True, slots=True)
class EtaConfig:
    """How estimates are made and when parcels count as stalled."""

    policy: EtaPolicy = DEFAULT_POLICY
    calendars: CalendarBook = field(default_factory=CalendarBook)
    stalled_default: timedelta = timedelta(hours=48)  # the threshold where a lane has no history of the step
    refresh: timedelta = timedelta(seconds=60)


class EtaRuntime:
    """Per-process estimate state: configuration, calendars by country, the cached lane statistics."""

    def __init__(self, config: EtaConfig | None = None) -> None:
        self.config = config or EtaConfig()
        self._stats: LaneStats | None = None
        self._loaded = 0.0
        self._calendars: dict[str, DeliveryCalendar] = {}
        self.last_sweep_at: datetime | None = None  # the clock at this process's last stalled-parcel sweep

    def calendar(self, country: str) -> DeliveryCalendar:
        found = self._calendars.get(country)
        if found is None:
            found = self._calendars[country] = self.config.calendars.for_destination(country)
        return found

    def stats(self, connection: Connection) -> LaneStats:
        """The lane statistics, reloaded from the store when older than ``refresh``."""
        if self._stats is None or time.monotonic() - self._loaded > self.config.refresh.total_seconds():
            self._stats = estimate_store.load_lane_stats(connection)
            self._loaded = time.monotonic()
        return self._stats

    def learned(self, partial: LaneStats, keys: list[str]) -> None:
        """Take the freshly written statistics of ``keys`` into the cache."""
        if self._stats is None:
            return
        for key in keys:
            self._stats.ahead[key] = partial.ahead.get(key, {})
            self._stats.waits[key] = partial.waits.get(key, {})
        if "*" in keys:
            self._stats.parcels = partial.parcels


def runtime_for(*, enabled: bool, holidays: str = "", stalled_default_hours: float = 48.0) -> EtaRuntime | None:
    """The runtime for the configured settings (None when estimates are turned off)."""
    if not enabled:
        return None
    return EtaRuntime(
        EtaConfig(
            calendars=CalendarBook(holidays=parse_holidays(holidays)),
            stalled_default=timedelta(hours=stalled_default_hours),
        )
    )
