"""The figures over time: a period cut into days, or ISO weeks (Monday to Sunday, the first and last clipped to
the period), each point the figures of its own days, computed by ``figures`` exactly as the period's are.

A journey counts in the point of its delivery's local date (the delivery-based figures) and of its dispatch's
(the dispatch-based rates): each point is computed over the journeys dated in it, which is what ``outcome``
would count over every journey, without asking it once per point for every journey.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from ordertrail.domain.analytics.figures import Figures, figures
from ordertrail.domain.analytics.journeys import Journey
from ordertrail.domain.analytics.kpis import Kpi
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.errors import InvalidInput

# Periods longer than this are shown per week unless a day interval is asked for.
DAILY_UP_TO_DAYS: Final = 60
# The rates drawn over time (beside the transit p50 from dispatch).
TREND_RATES: Final = (Kpi.ON_TIME_VS_PROMISE, Kpi.FIRST_ATTEMPT, Kpi.EXCEPTIONS)


class Interval(StrEnum):
    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True, slots=True)
class Point:
    """One day or week of the period and its figures (all but ``late_open``, which is by promised date: the
    trends do not carry it)."""

    period: Period
    label: str  # 2026-11-02 (a day) or 2026-W45 (an ISO week)
    figures: Figures


def parse_interval(text: str | None, period: Period) -> Interval:
    """``interval`` as given; absent: days up to DAILY_UP_TO_DAYS days, weeks beyond. Raises InvalidInput naming
    ``interval``."""
    if text is None or not text.strip():
        return Interval.DAY if period.days <= DAILY_UP_TO_DAYS else Interval.WEEK
    try:
        return Interval(text.strip())
    except ValueError:
        raise InvalidInput("interval is day or week.", field="interval") from None


def buckets(period: Period, interval: Interval) -> list[tuple[Period, str]]:
    """The period's days, or its ISO weeks clipped to it, in order, each with its label."""
    if interval is Interval.DAY:
        days = (period.start + timedelta(days=n) for n in range(period.days))
        return [(Period(d, d), d.isoformat()) for d in days]
    found: list[tuple[Period, str]] = []
    monday = period.start - timedelta(days=period.start.weekday())
    while monday <= period.end:
        year, week, _ = monday.isocalendar()
        span = Period(max(monday, period.start), min(monday + timedelta(days=6), period.end))
        found.append((span, f"{year}-W{week:02d}"))
        monday += timedelta(days=7)
    return found


def trend(journeys: Sequence[Journey], period: Period, as_of: date, interval: Interval) -> list[Point]:
    """The figures of each day or week of ``period`` (every one, including those nothing was counted in)."""
    cut = buckets(period, interval)
    index = {day: i for i, (span, _) in enumerate(cut) for day in _days(span)}
    members: dict[int, list[Journey]] = defaultdict(list)
    for journey in journeys:
        dated = (journey.delivered_on, journey.dispatched_on)
        for i in {index[day] for day in dated if day is not None and day in index}:
            members[i].append(journey)
    return [Point(span, label, figures(members[i], span, as_of)) for i, (span, label) in enumerate(cut)]


def _days(span: Period) -> list[date]:
    return [span.start + timedelta(days=n) for n in range(span.days)]
