"""The figures over time for merchants' BI tools, ``GET /api/v1/analytics/trends``: per day or ISO week, on time
vs promise, first-attempt delivery, the exception rate and the transit p50, each linked to exactly the parcels it
counted in that day or week. Definitions: docs/analytics.md ("Trends")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from ordertrail.api.analytics_query import AnalyticsQuery, AnalyticsQueryDep, answer
from ordertrail.api.documents.analytics import TrendsOut
from ordertrail.api.responses import KEY, errors
from ordertrail.api.routes.analytics import parcels_link
from ordertrail.domain.analytics.drilldown import Drilldown
from ordertrail.domain.analytics.kpis import OUTCOMES, Kpi
from ordertrail.domain.analytics.trends import DAILY_UP_TO_DAYS, TREND_RATES, Point, parse_interval
from ordertrail.http.deps import ServicesDep
from ordertrail.services.analytics.delivery import delivery_trend

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


def point_document(point: Point, query: AnalyticsQuery) -> dict[str, Any]:
    """One day or week: its rates and transit p50, each with the links to its parcels."""
    span, f, extra = point.period, point.figures, query.extra
    found: dict[str, Any] = {"from": span.start.isoformat(), "to": span.end.isoformat(), "label": point.label}
    for kpi in TREND_RATES:
        rate = f.rates[kpi]
        found[kpi.value] = {
            "value": rate.value,
            "numerator": rate.numerator,
            "denominator": rate.denominator,
            "parcels": parcels_link(Drilldown(kpi, span, OUTCOMES[kpi][0]), extra),
            "denominator_parcels": parcels_link(Drilldown(kpi, span), extra),
        }
    transit, days = f.transits[Kpi.TRANSIT_FROM_DISPATCH], f.transit_days[Kpi.TRANSIT_FROM_DISPATCH]
    found[Kpi.TRANSIT_FROM_DISPATCH.value] = {
        "parcels_counted": transit.count,
        "p50_hours": transit.p50,
        "p50_days": days.p50,
        "parcels": parcels_link(Drilldown(Kpi.TRANSIT_FROM_DISPATCH, span), extra),
    }
    return found


@router.get(
    "/trends",
    summary="Per day or week: on time vs promise, first-attempt delivery, exception rate, transit p50",
    description=(
        "Merchant and admin keys (merchant keys: their own parcels; `merchant` narrows to one the caller sees) or a "
        "staff session, as the other figures. `from`/`to` are local dates, at most 366 days apart. `interval`: "
        f"`day`, or `week` (ISO weeks, Monday to Sunday, the first and last clipped to the period); absent, days up "
        f"to {DAILY_UP_TO_DAYS} days and weeks beyond. Each point counts the parcels delivered (dispatched, for the "
        "exception rate) on its local dates, exactly as the period's figures; every point is listed, a rate of "
        "nothing null. `format=csv` (or `Accept: text/csv`): one line per point."
    ),
    response_model=TrendsOut,
    responses=errors(KEY, 422),
)
async def get_trends(
    query: AnalyticsQueryDep,
    services: ServicesDep,
    interval: Annotated[
        Literal["day", "week"] | None, Query(description=f"day or week (absent: day up to {DAILY_UP_TO_DAYS} days)")
    ] = None,
) -> Response:
    chosen = parse_interval(interval, query.period)
    as_of, points = await delivery_trend(services, period=query.period, merchant_ids=query.scope, interval=chosen)
    rows = [point_document(p, query) for p in points]
    document = {
        "from": query.period.start.isoformat(),
        "to": query.period.end.isoformat(),
        "as_of": as_of.isoformat(),
        "merchant": query.merchant,
        "interval": chosen.value,
        "points": rows,
    }
    return answer(query, document, rows, f"trends-{chosen.value}")
