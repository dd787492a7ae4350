"""The analytics page: the delivery figures over a period for the signed-in person's merchants, each with its
short definition and a link to the console's parcel list holding exactly the parcels it counted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from ordertrail.domain.analytics.breakdowns import By, Group
from ordertrail.domain.analytics.drilldown import Drilldown, lane_params
from ordertrail.domain.analytics.figures import Figures
from ordertrail.domain.analytics.journeys import Lane
from ordertrail.domain.analytics.kpis import OUTCOMES, Kpi
from ordertrail.domain.analytics.period import Period, parse_period
from ordertrail.domain.analytics.trends import parse_interval
from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.scanning.status import STATUS_LABELS
from ordertrail.services.analytics.activity import activity_report
from ordertrail.services.analytics.delivery import delivery_overview
from ordertrail.services.analytics.spans import dwelling_now, spans_report
from ordertrail.web.console.analytics_trends import trend_charts, trend_rows
from ordertrail.web.console.common import PREFIX, page, staff_reader
from ordertrail.web.deps import ServicesDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)

# The short definitions shown beside each figure; docs/analytics.md has the full ones.
DEFINITIONS: dict[Kpi, tuple[str, str]] = {
    Kpi.ON_TIME_VS_PROMISE: (
        "On time vs promise",
        "Delivered on or before the promised date, of delivered parcels that had one.",
    ),
    Kpi.FIRST_ATTEMPT: (
        "First-attempt delivery",
        "Delivered with no failed attempt before, of delivered parcels that went out for delivery.",
    ),
    Kpi.EXCEPTIONS: ("Exception rate", "Dispatched parcels with at least one exception, of dispatched parcels."),
    Kpi.FAILED_ATTEMPTS: (
        "Failed-attempt rate",
        "Dispatched parcels with at least one failed attempt, of dispatched parcels.",
    ),
}


def _link(drilldown: Drilldown, extra: list[tuple[str, str]] | None = None) -> str:
    return f"{PREFIX}/parcels?{urlencode(drilldown.params() + (extra or []))}"


# The rates of the per-lane table, in its column order.
LANE_RATES = (Kpi.ON_TIME_VS_PROMISE, Kpi.ON_TIME_VS_FIRST_ESTIMATE, Kpi.FIRST_ATTEMPT, Kpi.EXCEPTIONS)


def _cell(f: Figures, kpi: Kpi, period: Period, extra: list[tuple[str, str]]) -> dict[str, Any]:
    rate = f.rates[kpi]
    return {
        "numerator": rate.numerator,
        "denominator": rate.denominator,
        "percent": None if rate.value is None else f"{rate.value * 100:.1f} %",
        "numerator_link": _link(Drilldown(kpi, period, OUTCOMES[kpi][0]), extra),
        "denominator_link": _link(Drilldown(kpi, period), extra),
    }


def _lanes(lanes: dict[Lane, Figures], period: Period) -> list[dict[str, Any]]:
    return [
        {
            "origin": lane.origin or "unknown",
            "country": lane.country,
            "cells": [_cell(f, kpi, period, lane_params(lane)) for kpi in LANE_RATES],
        }
        for lane, f in lanes.items()
    ]


def _service_levels(groups: list[Group], period: Period) -> list[dict[str, Any]]:
    return [
        {
            "service_level": g.key["service_level"],
            "cells": [_cell(g.figures, kpi, period, g.params) for kpi in LANE_RATES],
        }
        for g in groups
    ]


def _reasons(f: Figures, period: Period) -> list[dict[str, Any]]:
    """One row per reason code met: how many dispatched parcels met it as an exception, as a failed attempt."""
    rows = []
    for reason in sorted({*f.by_reason[Kpi.EXCEPTIONS], *f.by_reason[Kpi.FAILED_ATTEMPTS]}):
        cells = []
        for kpi in (Kpi.EXCEPTIONS, Kpi.FAILED_ATTEMPTS):
            rate = f.by_reason[kpi].get(reason)
            link = _link(Drilldown(kpi, period, OUTCOMES[kpi][0], reason=reason))
            cells.append({"numerator": 0 if rate is None else rate.numerator, "link": link})
        rows.append({"reason": reason, "cells": cells})
    return rows


def _parties(f: Figures, period: Period) -> list[dict[str, Any]]:
    """One row per responsible party (every party): dispatched parcels with an exception it must act on."""
    kpi = Kpi.EXCEPTIONS
    return [
        {
            "party": party.value.replace("_", " "),
            "numerator": rate.numerator,
            "percent": None if rate.value is None else f"{rate.value * 100:.1f} %",
            "link": _link(Drilldown(kpi, period, OUTCOMES[kpi][0], party=party)),
        }
        for party, rate in f.by_party.items()
    ]


def _rows(f: Figures, period: Period) -> list[dict[str, Any]]:
    rows = []
    for kpi, (label, definition) in DEFINITIONS.items():
        rate = f.rates[kpi]
        rows.append(
            {
                "label": label,
                "definition": definition,
                "numerator": rate.numerator,
                "denominator": rate.denominator,
                "percent": None if rate.value is None else f"{rate.value * 100:.1f} %",
                "numerator_link": _link(Drilldown(kpi, period, OUTCOMES[kpi][0])),
                "denominator_link": _link(Drilldown(kpi, period)),
            }
        )
    return rows


@router.get("/analytics")
async def analytics_page(request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    today = services.clock().date()
    start = request.query_params.get("from") or (today - timedelta(days=29)).isoformat()
    end = request.query_params.get("to") or today.isoformat()
    context: dict[str, Any] = {
        "start": start,
        "end": end,
        "errors": [],
        "rows": [],
        "active": "analytics",
        "interval_asked": request.query_params.get("interval") or "",
    }
    try:
        period = parse_period(start, end)
        interval = parse_interval(request.query_params.get("interval"), period)
    except InvalidInput as error:
        context["errors"] = [(p.field, p.reason) for p in error.problems]
        return page("console/analytics.html", session, context, status_code=422)
    found = await delivery_overview(
        services, period=period, merchant_ids=reader.scope, by=By.SERVICE_LEVEL, interval=interval
    )
    result, levels, total = found.report, found.groups, found.report.total
    context.update(
        interval=interval.value,
        charts=trend_charts(found.points, interval),
        trend_rows=trend_rows(found.points),
        rows=_rows(total, period),
        lanes=_lanes(result.lanes, period),
        service_levels=_service_levels(levels, period),
        reasons=_reasons(total, period),
        parties=_parties(total, period),
        dispatched=total.rates[Kpi.EXCEPTIONS].denominator,
        dispatched_link=_link(Drilldown(Kpi.EXCEPTIONS, period)),
        late_open=total.late_open,
        late_open_link=_link(Drilldown(Kpi.LATE_OPEN, period, as_of=result.as_of)),
        transits=[
            (label, total.transits[kpi], total.transit_days[kpi], _link(Drilldown(kpi, period)))
            for kpi, label in (
                (Kpi.TRANSIT_FROM_DISPATCH, "Dispatched → delivered"),
                (Kpi.TRANSIT_FROM_ORDER, "Placed → delivered"),
            )
        ],
    )
    spans = await spans_report(services, period=period, merchant_ids=reader.scope)
    waiting = await dwelling_now(services, merchant_ids=reader.scope)
    context.update(
        steps=[
            (STATUS_LABELS[step], d, _link(Drilldown(Kpi.STEP_TIMES, period, part=step)))
            for step, d in spans.steps.items()
        ],
        facilities=[
            (facility, d, _link(Drilldown(Kpi.DWELL, period, part=facility))) for facility, d in spans.dwell.items()
        ],
        dwelling=len(waiting.parcel_ids),
        reference=waiting.reference,
        devices=(await activity_report(services, period=period, merchant_ids=reader.scope)).devices,
    )
    return page("console/analytics.html", session, context)
