"""Backtest of delivery estimates: replay delivered parcels in time order and measure calibration.

Every estimate sees only what was known at its moment: the parcel's events up to then, and lane statistics
learned from the parcels delivered before then (updated one delivery at a time, as in production).
Estimates are taken 1, 2, 3... days (24 h steps) before each held-out parcel's delivery, and at the moment
each of its steps began (order placed, dispatched, first hub, out for delivery: ``backtest_report.STEPS``).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Protocol

from ordertrail.demo.backtest_report import ALL, HORIZONS, STEPS, BacktestReport, Tally, markdown, tables
from ordertrail.domain.estimating.calendar import CalendarBook, DeliveryCalendar
from ordertrail.domain.estimating.estimator import (
    DEFAULT_POLICY,
    Estimate,
    EstimatePolicy,
    estimate,
    score_delivered,
)
from ordertrail.domain.estimating.journey import StepVisit
from ordertrail.domain.estimating.lanes import Lane
from ordertrail.domain.estimating.stats import recency_weight
from ordertrail.domain.scanning.events import ScanEvent

__all__ = ["ALL", "HORIZONS", "BacktestReport", "Journey", "Tally", "horizon", "markdown", "run_backtest", "tables"]

_LEARN, _ESTIMATE, _STEP = 2, 0, 1  # at equal times, estimate before learning from a delivery at that instant


class Journey(Protocol):
    """A delivered parcel as the backtest needs it (simulated, read from the store or from a history file)."""

    @property
    def tracking_number(self) -> str: ...
    @property
    def lane(self) -> Lane: ...
    @property
    def country(self) -> str: ...
    @property
    def region(self) -> str | None: ...
    @property
    def placed_at(self) -> datetime: ...
    @property
    def delivered_at(self) -> datetime: ...
    @property
    def events(self) -> tuple[ScanEvent, ...]: ...
    @property
    def promised(self) -> date | None: ...

    def visits(self) -> tuple[StepVisit, ...]: ...


def horizon(days_out: int) -> str:
    """The reporting bucket of an estimate made ``days_out`` days before delivery."""
    return str(days_out) if days_out < 3 else "3+"


def run_backtest(
    parcels: Sequence[Journey],
    *,
    held_out: int,
    calendars: CalendarBook,
    policy: EstimatePolicy = DEFAULT_POLICY,
    progress: Callable[[int], None] = lambda _: None,
) -> BacktestReport:
    """Replay ``parcels``; the ``held_out`` placed last are estimated, all are learned from once delivered."""
    ordered = sorted(parcels, key=lambda p: p.placed_at)
    first_held_out = len(ordered) - held_out
    report = BacktestReport(history=first_held_out, held_out=held_out)
    # (time, kind, parcel index, days out | index of the step's visit)
    agenda: list[tuple[float, int, int, int]] = []
    visits: dict[int, tuple[StepVisit, ...]] = {}
    for index, parcel in enumerate(ordered):
        agenda.append((parcel.delivered_at.timestamp(), _LEARN, index, 0))
        if index >= first_held_out:
            report.parcels_per_lane[parcel.lane.name] += 1
            days_out = 1
            while (moment := parcel.delivered_at - timedelta(days=days_out)) > parcel.placed_at:
                agenda.append((moment.timestamp(), _ESTIMATE, index, days_out))
                days_out += 1
            steps = visits[index] = parcel.visits()
            agenda += [(v.started_at.timestamp(), _STEP, index, n) for n, v in enumerate(steps) if v.step in STEPS]
    heapq.heapify(agenda)
    calendar_of: dict[tuple[str, str | None], DeliveryCalendar] = {}
    done = 0
    while agenda:
        _, kind, index, detail = heapq.heappop(agenda)
        parcel = ordered[index]
        where = (parcel.country, parcel.region)
        calendar = calendar_of.get(where)
        if calendar is None:
            calendar = calendar_of[where] = calendars.for_destination(parcel.country, region=parcel.region)
        if kind == _LEARN:
            weight = recency_weight(parcel.delivered_at, policy.half_life_days)
            steps = visits.get(index) or parcel.visits()
            if policy.calibrate:  # scored with what was known before this delivery, then learned
                score_delivered(report.stats, parcel.lane, steps, calendar, policy)
            report.stats.learn_delivered(parcel.lane, steps, calendar, weight)
            done += 1
            if done % 500 == 0:
                progress(done)
        elif kind == _ESTIMATE:
            now = parcel.delivered_at - timedelta(days=detail)
            _score(report, parcel, now, calendar, policy, (horizon(detail), ALL), promise=False)
        else:
            step = visits[index][detail]
            _score(report, parcel, step.started_at, calendar, policy, (step.step,), promise=True)
    progress(done)
    return report


def _score(
    report: BacktestReport,
    parcel: Journey,
    now: datetime,
    calendar: DeliveryCalendar,
    policy: EstimatePolicy,
    buckets: tuple[str, ...],
    *,
    promise: bool,
) -> None:
    result = estimate(report.stats, parcel.lane, parcel.events, calendar, now, policy=policy)
    if result is None:
        raise AssertionError(f"{parcel.tracking_number} had no estimate before its delivery")
    delivered_on = calendar.local_date(parcel.delivered_at)
    inside, error, width = _judge(result, delivered_on, calendar)
    default = result.basis == "default"
    if not promise:  # the days-out figures, overall and per lane
        for bucket in buckets:
            report.overall[bucket].add(inside=inside, error=error, width=width, default=default)
            report.lanes[parcel.lane.name][bucket].add(inside=inside, error=error, width=width, default=default)
        return
    tally = report.steps[buckets[0]]
    tally.add(inside=inside, error=error, width=width, default=default)
    if parcel.promised is not None:
        tally.add_promise(
            latest_slack=(result.latest - delivered_on).days, promise_slack=(parcel.promised - delivered_on).days
        )


def _judge(result: Estimate, delivered_on: date, calendar: DeliveryCalendar) -> tuple[bool, int, int]:
    """Inside the window, the error of ``likely`` and the window's width, in delivery days."""
    inside = result.earliest <= delivered_on <= result.latest
    if delivered_on >= result.likely:
        error = calendar.delivery_days_between(result.likely, delivered_on)
    else:
        error = -calendar.delivery_days_between(delivered_on, result.likely)
    width = calendar.delivery_days_between(result.earliest, result.latest) + 1
    return inside, error, width
