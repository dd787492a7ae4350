"""The analytics page's trends: per day or week, on time vs promise, first-attempt delivery, the exception rate and
the transit p50, as charts (``charts.py``) and as the table that is their text alternative, each value a link to
the console's list of exactly the parcels it counted in that day or week."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from ordertrail.domain.analytics.drilldown import Drilldown
from ordertrail.domain.analytics.figures import Rate
from ordertrail.domain.analytics.kpis import OUTCOMES, Kpi
from ordertrail.domain.analytics.trends import Interval, Point
from ordertrail.web.console.charts import Chart, Sample, line_chart
from ordertrail.web.console.common import PREFIX

RATE_TITLES = {
    Kpi.ON_TIME_VS_PROMISE: "On time vs promise",
    Kpi.FIRST_ATTEMPT: "First-attempt delivery",
    Kpi.EXCEPTIONS: "Exception rate",
}


def _link(drilldown: Drilldown) -> str:
    return f"{PREFIX}/parcels?{urlencode(drilldown.params())}"


def _percent(rate: Rate) -> str:
    return (
        "nothing counted"
        if rate.value is None
        else f"{rate.value * 100:.1f} % ({rate.numerator} of {rate.denominator})"
    )


def _hours(point: Point) -> str:
    d = point.figures.transits[Kpi.TRANSIT_FROM_DISPATCH]
    return "nothing counted" if d.p50 is None else f"{d.p50:.1f} h ({d.count} parcels)"


def _desc(title: str, samples: list[Sample], interval: Interval, written: str) -> str:
    counted = [s for s in samples if s.value is not None]
    unit = "day" if interval is Interval.DAY else "week"
    if not counted:
        return f"{title} per {unit}: nothing counted in the period."
    low, high = min(counted, key=lambda s: s.value or 0), max(counted, key=lambda s: s.value or 0)
    return (
        f"{title} per {unit}, {samples[0].label} to {samples[-1].label}: {len(counted)} of {len(samples)} {unit}s "
        f"counted; lowest {low.text} on {low.label}, highest {high.text} on {high.label}. {written}"
    )


def trend_charts(points: list[Point], interval: Interval) -> list[Chart]:
    """One chart per rate (0 to 100 %) and one of the transit p50 (hours)."""
    table = "Each value is in the table below the charts."
    charts = []
    for kpi, title in RATE_TITLES.items():
        samples = [
            Sample(
                p.label,
                p.figures.rates[kpi].value,
                _percent(p.figures.rates[kpi]),
                _link(Drilldown(kpi, p.period, OUTCOMES[kpi][0])),
            )
            for p in points
        ]
        chart_id = f"trend-{kpi.value.replace('_', '-')}"
        charts.append(line_chart(chart_id, title, _desc(title, samples, interval, table), samples, top=1.0, unit="%"))
    kpi = Kpi.TRANSIT_FROM_DISPATCH
    title = "Transit p50, dispatched to delivered (hours)"
    samples = [Sample(p.label, p.figures.transits[kpi].p50, _hours(p), _link(Drilldown(kpi, p.period))) for p in points]
    charts.append(
        line_chart("trend-transit", title, _desc(title, samples, interval, table), samples, top=None, unit="h")
    )
    return charts


def trend_rows(points: list[Point]) -> list[dict[str, Any]]:
    """The table alternative: per point, each rate's numerator and denominator (linked) and the transit p50."""
    rows = []
    for p in points:
        cells = []
        for kpi in RATE_TITLES:
            rate = p.figures.rates[kpi]
            cells.append(
                {
                    "numerator": rate.numerator,
                    "denominator": rate.denominator,
                    "percent": None if rate.value is None else f"{rate.value * 100:.1f} %",
                    "numerator_link": _link(Drilldown(kpi, p.period, OUTCOMES[kpi][0])),
                    "denominator_link": _link(Drilldown(kpi, p.period)),
                }
            )
        transit = p.figures.transits[Kpi.TRANSIT_FROM_DISPATCH]
        rows.append(
            {
                "label": p.label,
                "cells": cells,
                "transit": transit,
                "transit_link": _link(Drilldown(Kpi.TRANSIT_FROM_DISPATCH, p.period)),
            }
        )
    return rows
