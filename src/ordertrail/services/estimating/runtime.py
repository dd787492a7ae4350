"""What estimating needs in a process: the policy, the calendars, and a cache of the lane statistics.

The statistics live in the store (``lane_stat``) and change one delivery at a time. Each process keeps them in
memory, refreshed from the store every ``refresh`` (other processes' deliveries) and updated in place with
the rows its own transactions write. If such a transaction then rolls back, the cache runs one parcel ahead of
the store until the next refresh; estimates tolerate that.

Estimates and stall waits are memoised per situation until the next refresh. The process's own deliveries
update the statistics at once but reach memoised situations only then, like other processes' deliveries: one
parcel more moves a lane's histograms by a fraction of a percent, and clearing the memo on every delivery
(about one scan in six is one) would make most scans compute their estimate afresh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection

from ordertrail.domain.estimating.calendar import CalendarBook, DeliveryCalendar
from ordertrail.domain.estimating.estimator import (
    DEFAULT_POLICY,
    Estimate,
    EstimatePolicy,
    earliest_offset,
    estimate_from_visits,
)
from ordertrail.domain.estimating.journey import StepVisit
from ordertrail.domain.estimating.lanes import ANY, Lane
from ordertrail.domain.estimating.revisions import STALL_QUANTILE, stall_wait
from ordertrail.domain.estimating.state import EstimateState
from ordertrail.domain.estimating.stats import ELAPSED_CAP, LaneStats, band_of
from ordertrail.services.estimating.calendars import calendar_book
from ordertrail.storage.estimating import lane_stats as lane_stat_store


@dataclass(frozen=True, slots=True)
class EstimateConfig:
    """How estimates are made and when parcels count as stalled."""

    policy: EstimatePolicy = DEFAULT_POLICY
    calendars: CalendarBook = field(default_factory=CalendarBook)
    stalled_default: timedelta = timedelta(hours=48)  # the threshold where a lane has no history of the step
    refresh: timedelta = timedelta(seconds=60)


class EstimateRuntime:
    """Per-process estimate state: configuration, calendars by country, the cached lane statistics."""

    def __init__(self, config: EstimateConfig | None = None) -> None:
        self.config = config or EstimateConfig()
        self._stats: LaneStats | None = None
        self._loaded = 0.0
        self._calendars: dict[str, DeliveryCalendar] = {}
        self.last_sweep_at: datetime | None = None  # the clock at this process's last stalled-parcel sweep
        self._estimates: dict[tuple[object, ...], Estimate | None] = {}
        self._stall_waits: dict[tuple[Lane, str], timedelta] = {}
        self._lanes: dict[tuple[str, str, str, str | None, str | None], Lane] = {}
        # What the memo key takes from (country, now), by country: a transaction estimates all its parcels (to
        # many countries) at one ``now``.
        self._moment_at: datetime | None = None
        self._moments: dict[str, tuple[DeliveryCalendar, tuple[object, ...]]] = {}

    def calendar(self, country: str, region: str | None = None) -> DeliveryCalendar:
        """The calendar of a destination country (of its region, given one), made once per process."""
        key = f"{country}-{region}" if region else country
        found = self._calendars.get(key)
        if found is None:
            found = self._calendars[key] = self.config.calendars.for_destination(country, region=region)
        return found

    def stats(self, connection: Connection) -> LaneStats:
        """The lane statistics, reloaded from the store when older than ``refresh``."""
        if self._stats is None or time.monotonic() - self._loaded > self.config.refresh.total_seconds():
            self._stats = lane_stat_store.load_lane_stats(connection)
            self._loaded = time.monotonic()
            self._forget()
        return self._stats

    def estimate(
        self, stats: LaneStats, lane: Lane, step: str, started: datetime, country: str, now: datetime
    ) -> Estimate | None:
        """``estimate_from_visits`` for a parcel in ``step`` since ``started``, memoised.

        The estimator reads only the lane, the step, the local dates of the step's start and of now, the band of
        the day, the whole days spent in the step and whether today can still deliver: parcels scanned in the
        same situation share one computation until the statistics are next reloaded.
        """
        policy = self.config.policy
        if now != self._moment_at:
            self._moment_at = now
            self._moments.clear()
        moment = self._moments.get(country)
        if moment is None:
            calendar = self.calendar(country)
            local = now.astimezone(calendar.zone)
            moment = self._moments[country] = (
                calendar, (local.date(), band_of(local), earliest_offset(calendar, now, policy))
            )  # fmt: skip
        calendar = moment[0]
        elapsed = min(int((now - started).total_seconds() // 86400), ELAPSED_CAP + 1)
        key = (lane, step, calendar.local_date(started), elapsed, *moment[1])
        try:
            return self._estimates[key]  # one lookup on a hit (the usual case); None is a memoised "no estimate"
        except KeyError:
            pass
        if len(self._estimates) > 50_000:
            self._estimates.clear()
        made = self._estimates[key] = estimate_from_visits(
            stats, lane, (StepVisit(step, started),), calendar, now, service_level=_defaults_level(lane), policy=policy
        )
        return made

    def lane(
        self, origin: str, country: str, area: str, courier: str | None = None, service_level: str | None = None
    ) -> Lane:
        """The lane of these parts: one object per lane (made once per scan otherwise, and a memo key part)."""
        key = (origin, country, area, courier, service_level)
        found = self._lanes.get(key)
        if found is None:
            if len(self._lanes) > 50_000:
                self._lanes.clear()
            found = self._lanes[key] = Lane(origin, country, area, courier=courier, service_level=service_level)
        return found

    def lane_of(self, state: EstimateState, country: str, area: str) -> Lane:
        """The lane of a parcel's estimate state: its origin, this destination, its courier and service level."""
        return self.lane(state.origin or ANY, country, area, state.courier, state.service_level)

    def stall_wait(self, stats: LaneStats, lane: Lane, step: str) -> timedelta:
        """``stall_wait`` for a parcel in ``step`` on ``lane``, memoised until the statistics are next reloaded."""
        key = (lane, step)
        found = self._stall_waits.get(key)
        if found is None:
            if len(self._stall_waits) > 50_000:
                self._stall_waits.clear()
            hours = stats.wait_quantile(lane, step, STALL_QUANTILE, self.config.policy.min_samples)
            found = self._stall_waits[key] = stall_wait(hours, self.config.stalled_default)
        return found

    def _forget(self) -> None:
        """Drop what was computed from the statistics (they were reloaded)."""
        self._estimates.clear()
        self._stall_waits.clear()

    def learned(self, partial: LaneStats, keys: list[str]) -> None:
        """Take the freshly written statistics of ``keys`` into the cache (memoised situations keep theirs until
        the next refresh)."""
        if self._stats is None:
            return
        for key in keys:
            self._stats.ahead[key] = partial.ahead.get(key, {})
            self._stats.waits[key] = partial.waits.get(key, {})
        if "*" in keys:
            self._stats.parcels = partial.parcels
            self._stats.calibration = partial.calibration  # kept with the network key's row


def _defaults_level(lane: Lane) -> str:
    """The service level whose configured defaults apply without history: the handover's, as a word (unknown
    levels get the standard defaults), else standard."""
    return " ".join(lane.service_level.split()).lower() if lane.service_level else "standard"


def runtime_for(
    *,
    enabled: bool,
    holidays: str = "",
    holidays_removed: str = "",
    official_holidays: bool = True,
    half_life_days: float = 0.0,
    calibrate: bool = False,
    stalled_default: timedelta = timedelta(hours=48),
) -> EstimateRuntime | None:
    """The runtime for the configured settings (None when estimates are turned off)."""
    if not enabled:
        return None
    return EstimateRuntime(
        EstimateConfig(
            policy=replace(DEFAULT_POLICY, half_life_days=half_life_days or None, calibrate=calibrate),
            calendars=calendar_book(holidays=holidays, removed=holidays_removed, official=official_holidays),
            stalled_default=stalled_default,
        )
    )
