"""Trends from hand-built parcels: the period cut into days or ISO weeks clipped to it, each point's figures equal
to the period's figures over that point's days alone, and the chart geometry that draws them (gaps where nothing
was counted)."""

from __future__ import annotations

from datetime import date

import pytest

from ordertrail.domain.analytics.figures import figures
from ordertrail.domain.analytics.journeys import journey_of
from ordertrail.domain.analytics.kpis import Kpi
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.analytics.trends import Interval, buckets, parse_interval, trend
from ordertrail.domain.errors import InvalidInput
from ordertrail.web.console.charts import Sample, line_chart
from tests.unit.analytics.test_figures import PERIOD, TODAY, journeys


def test_weeks_are_iso_weeks_clipped_to_the_period() -> None:
    # 2026-11-01 is a Sunday, 2026-11-30 a Monday.
    weeks = buckets(PERIOD, Interval.WEEK)
    assert [(label, span.start.day, span.end.day) for span, label in weeks] == [
        ("2026-W44", 1, 1),
        ("2026-W45", 2, 8),
        ("2026-W46", 9, 15),
        ("2026-W47", 16, 22),
        ("2026-W48", 23, 29),
        ("2026-W49", 30, 30),
    ]
    assert len(buckets(PERIOD, Interval.DAY)) == 30
    assert buckets(Period(date(2026, 12, 28), date(2027, 1, 3)), Interval.WEEK)[0][1] == "2026-W53"


def test_the_default_interval_and_a_bad_one() -> None:
    assert parse_interval(None, PERIOD) is Interval.DAY
    assert parse_interval("", Period(date(2026, 1, 1), date(2026, 3, 1))) is Interval.DAY  # 60 days
    assert parse_interval(None, Period(date(2026, 1, 1), date(2026, 3, 2))) is Interval.WEEK  # 61
    assert parse_interval("day", Period(date(2026, 1, 1), date(2026, 12, 31))) is Interval.DAY
    with pytest.raises(InvalidInput) as raised:
        parse_interval("month", PERIOD)
    assert raised.value.problems[0].field == "interval"


@pytest.mark.parametrize("interval", list(Interval))
def test_each_point_is_the_period_s_figures_over_its_days(interval: Interval) -> None:
    every = [journey_of(r) for r in journeys()]
    points = trend(every, PERIOD, TODAY, interval)
    for point in points:
        alone = figures(every, point.period, TODAY)  # every journey, asked about the point's days
        assert point.figures.rates == alone.rates
        assert point.figures.transits == alone.transits
    # The points add up to the period's rates.
    whole = figures(every, PERIOD, TODAY)
    for kpi in (Kpi.ON_TIME_VS_PROMISE, Kpi.FIRST_ATTEMPT, Kpi.EXCEPTIONS):
        assert sum(p.figures.rates[kpi].denominator for p in points) == whole.rates[kpi].denominator
        assert sum(p.figures.rates[kpi].numerator for p in points) == whole.rates[kpi].numerator
    # 2 Nov (day): parcels 4 (23:30 at +01:00) and 5 delivered, both counted by transit: 12.5 and 6 hours.
    if interval is Interval.DAY:
        second = points[1].figures
        assert (second.transits[Kpi.TRANSIT_FROM_DISPATCH].count, second.transits[Kpi.TRANSIT_FROM_DISPATCH].p50) == (
            2,
            6.0,
        )


def test_a_chart_breaks_its_line_where_nothing_was_counted() -> None:
    samples = [
        Sample("d1", 0.5, "50 %", "/a"),
        Sample("d2", 1.0, "100 %", "/b"),
        Sample("d3", None, "nothing counted", None),
        Sample("d4", 0.0, "0 %", "/d"),
        Sample("d5", 0.25, "25 %", "/e"),
    ]
    chart = line_chart("c", "Rate", "A rate.", samples, top=1.0, unit="%")
    assert len(chart.segments) == 2 and len(chart.dots) == 4
    assert [d.name for d in chart.dots] == ["d1: 50 %", "d2: 100 %", "d4: 0 %", "d5: 25 %"]
    top, bottom = chart.dots[1].y, chart.dots[2].y  # 100 % at the top of the plot, 0 % at its bottom
    assert top < chart.dots[0].y < bottom and bottom == chart.bottom
    assert [text for _, text in chart.y_ticks] == ["0 %", "50 %", "100 %"]
    assert [(label, anchor) for _, label, anchor in chart.x_ticks] == [
        ("d1", "start"),
        ("d3", "middle"),
        ("d5", "end"),
    ]
    hours = line_chart("h", "Hours", "Hours.", [Sample("d1", 26.5, "26.5 h", None)], top=None, unit="h")
    assert [text for _, text in hours.y_ticks] == ["0 h", "25 h", "50 h"] and hours.segments == []
