"""Backtest of delivery estimates: replay delivered parcels in time order and measure calibration.

Every estimate sees only what was known at its moment: the parcel's events up to then, and lane statistics
learned from the parcels delivered before then (updated one delivery at a time, as in production).
Estimates are taken 1, 2, 3... days (24 h steps) before each held-out parcel's delivery.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from ordertrail.demo.simulation import SimulatedParcel
from ordertrail.domain.estimating.calendar import CalendarBook, DeliveryCalendar
from ordertrail.domain.estimating.estimator import DEFAULT_POLICY, EstimatePolicy, estimate
from ordertrail.domain.estimating.journey import step_visits
from ordertrail.domain.estimating.stats import LaneStats

HORIZONS: Final = ("1", "2", "3+")
ALL: Final = "all"
_LEARN, _ESTIMATE = 1, 0  # at equal times, estimate before learning from a delivery at that instant


@dataclass(slots=True)
class Tally:
    """Running totals for one group of estimates."""

    estimates: int = 0
    inside: int = 0
    abs_error_days: int = 0
    width_days: int = 0
    narrow: int = 0  # windows of at most two delivery days
    inside_narrow: int = 0  # inside a window of at most two delivery days (both at once)
    defaults: int = 0  # estimates that had no history to go on

    def add(self, *, inside: bool, error: int, width: int, default: bool) -> None:
        self.estimates += 1
        self.inside += inside
        self.abs_error_days += abs(error)
        self.width_days += width
        self.narrow += width <= 2
        self.inside_narrow += inside and width <= 2
        self.defaults += default

    def share_inside(self) -> float:
        return self.inside / self.estimates if self.estimates else 0.0

    def mean_error(self) -> float:
        return self.abs_error_days / self.estimates if self.estimates else 0.0

    def mean_width(self) -> float:
        return self.width_days / self.estimates if self.estimates else 0.0

    def share_defaults(self) -> float:
        return self.defaults / self.estimates if self.estimates else 0.0

    def share_narrow(self) -> float:
        return self.narrow / self.estimates if self.estimates else 0.0

    def share_inside_narrow(self) -> float:
        return self.inside_narrow / self.estimates if self.estimates else 0.0


@dataclass(slots=True)
class BacktestReport:
    """Calibration by horizon (days out), overall and per lane."""

    history: int
    held_out: int
    overall: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    lanes: dict[str, dict[str, Tally]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Tally)))
    parcels_per_lane: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    stats: LaneStats = field(default_factory=LaneStats)


def horizon(days_out: int) -> str:
    """The reporting bucket of an estimate made ``days_out`` days before delivery."""
    return str(days_out) if days_out < 3 else "3+"


def run_backtest(
    parcels: Sequence[SimulatedParcel],
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
    agenda: list[tuple[float, int, int, int]] = []
    for index, parcel in enumerate(ordered):
        agenda.append((parcel.delivered_at.timestamp(), _LEARN, index, 0))
        if index >= first_held_out:
            report.parcels_per_lane[parcel.lane.name] += 1
            days_out = 1
            while (moment := parcel.delivered_at - timedelta(days=days_out)) > parcel.placed_at:
                agenda.append((moment.timestamp(), _ESTIMATE, index, days_out))
                days_out += 1
    heapq.heapify(agenda)
    calendar_of = {country: calendars.for_destination(country) for country in {p.country for p in ordered}}
    done = 0
    while agenda:
        _, kind, index, days_out = heapq.heappop(agenda)
        parcel = ordered[index]
        calendar = calendar_of[parcel.country]
        if kind == _LEARN:
            report.stats.learn_delivered(parcel.lane, step_visits(parcel.events), calendar)
            done += 1
            if done % 500 == 0:
                progress(done)
            continue
        now = parcel.delivered_at - timedelta(days=days_out)
        _score(report, parcel, now, days_out, calendar, policy)
    progress(done)
    return report


def _score(
    report: BacktestReport,
    parcel: SimulatedParcel,
    now: datetime,
    days_out: int,
    calendar: DeliveryCalendar,
    policy: EstimatePolicy,
) -> None:
    result = estimate(report.stats, parcel.lane, parcel.events, calendar, now, policy=policy)
    if result is None:
        raise AssertionError(f"{parcel.tracking_number} had no estimate before its delivery")
    delivered_on = calendar.local_date(parcel.delivered_at)
    inside = result.earliest <= delivered_on <= result.latest
    if delivered_on >= result.likely:
        error = calendar.delivery_days_between(result.likely, delivered_on)
    else:
        error = -calendar.delivery_days_between(delivered_on, result.likely)
    width = calendar.delivery_days_between(result.earliest, result.latest) + 1
    default = result.basis == "default"
    for bucket in (horizon(days_out), ALL):
        report.overall[bucket].add(inside=inside, error=error, width=width, default=default)
        report.lanes[parcel.lane.name][bucket].add(inside=inside, error=error, width=width, default=default)


def markdown(report: BacktestReport) -> str:
    """The report as Markdown tables: overall by days out, then per lane."""
    lines = [
        f"history: {report.history} parcels, held out: {report.held_out} parcels "
        f"({report.overall[ALL].estimates} estimates)",
        "",
        "| days out | estimates | inside window | mean abs error (days) | mean width (days) "
        "| width ≤ 2 days | inside a window ≤ 2 days | no history |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for bucket in (*HORIZONS, ALL):
        tally = report.overall[bucket]
        lines.append(
            f"| {bucket} | {tally.estimates} | {tally.share_inside():.1%} | {tally.mean_error():.2f} "
            f"| {tally.mean_width():.2f} | {tally.share_narrow():.1%} | {tally.share_inside_narrow():.1%} "
            f"| {tally.share_defaults():.1%} |"
        )
    lines += [
        "",
        "| lane | parcels | inside 1 d | inside 2 d | inside 3+ d | mean abs error (days) | mean width (days) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for lane in sorted(report.lanes):
        tallies = report.lanes[lane]
        cells = [f"{tallies[b].share_inside():.0%}" if tallies[b].estimates else "–" for b in HORIZONS]
        lines.append(
            f"| {lane} | {report.parcels_per_lane[lane]} | {' | '.join(cells)} "
            f"| {tallies[ALL].mean_error():.2f} | {tallies[ALL].mean_width():.2f} |"
        )
    return "\n".join(lines)
