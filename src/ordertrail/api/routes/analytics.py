"""Delivery analytics for merchants' BI tools: every figure with its numerator, denominator and a link to
exactly the parcels it counted (the parcel list filtered the same way). Definitions: docs/analytics.md."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.responses import Response

from ordertrail.api.analytics_query import AnalyticsQueryDep, answer
from ordertrail.api.documents.analytics import DeliveryAnalyticsOut, DwellAnalyticsOut, StepTimesOut
from ordertrail.api.responses import KEY, errors
from ordertrail.domain.analytics.drilldown import Drilldown, lane_params
from ordertrail.domain.analytics.figures import RATES, TRANSITS, Figures
from ordertrail.domain.analytics.journeys import Lane
from ordertrail.domain.analytics.kpis import BY_REASON, OUTCOMES, Kpi
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.analytics.stats import Durations
from ordertrail.http.deps import ServicesDep
from ordertrail.services.analytics.delivery import delivery_report
from ordertrail.services.analytics.spans import dwelling_now, spans_report

router = APIRouter(prefix="/api/v1", tags=["analytics"])
PARCELS = "/api/v1/parcels"


def parcels_link(drilldown: Drilldown, extra: list[tuple[str, str]]) -> str:
    """The parcel list holding exactly the parcels ``drilldown`` selects; ``extra``: its other parameters."""
    return f"{PARCELS}?{urlencode(drilldown.params() + extra)}"


def figures_document(f: Figures, period: Period, extra: list[tuple[str, str]], as_of: date) -> dict[str, Any]:
    """Each figure of ``f``; ``extra``: the list parameters of its group (merchant, lane)."""
    found: dict[str, Any] = {}
    for kpi in RATES:
        rate = f.rates[kpi]
        numerator = Drilldown(kpi, period, OUTCOMES[kpi][0])
        found[kpi.value] = {
            "value": rate.value,
            "numerator": rate.numerator,
            "denominator": rate.denominator,
            "parcels": parcels_link(numerator, extra),
            "denominator_parcels": parcels_link(Drilldown(kpi, period), extra),
        }
        if kpi in BY_REASON:
            found[kpi.value]["by_reason"] = {
                reason: {
                    "value": r.value,
                    "numerator": r.numerator,
                    "denominator": r.denominator,
                    "parcels": parcels_link(Drilldown(kpi, period, OUTCOMES[kpi][0], reason=reason), extra),
                }
                for reason, r in f.by_reason[kpi].items()
            }
        if kpi is Kpi.EXCEPTIONS:
            found[kpi.value]["by_party"] = {
                party.value: {
                    "value": r.value,
                    "numerator": r.numerator,
                    "denominator": r.denominator,
                    "parcels": parcels_link(Drilldown(kpi, period, OUTCOMES[kpi][0], party=party), extra),
                }
                for party, r in f.by_party.items()
            }
    found[Kpi.LATE_OPEN.value] = {
        "count": f.late_open,
        "parcels": parcels_link(Drilldown(Kpi.LATE_OPEN, period, as_of=as_of), extra),
    }
    for kpi in TRANSITS:
        d, days = f.transits[kpi], f.transit_days[kpi]
        found[kpi.value] = {
            "parcels_counted": d.count,
            "p50_hours": d.p50,
            "p90_hours": d.p90,
            "mean_hours": d.mean,
            "p50_days": days.p50,
            "p90_days": days.p90,
            "mean_days": days.mean,
            "parcels": parcels_link(Drilldown(kpi, period), extra),
        }
    return found


def _durations(d: Durations, link: str) -> dict[str, Any]:
    return {"parcels_counted": d.count, "p50_hours": d.p50, "p90_hours": d.p90, "parcels": link}


def _lane(lane: Lane) -> dict[str, Any]:
    return {"origin": lane.origin, "destination_country": lane.country}


@router.get(
    "/analytics/delivery",
    summary="Delivery figures over a period, each linked to the parcels it counted",
    description=(
        "Merchant and admin keys (merchant keys: their own parcels) or a staff session. `from`/`to` are local "
        "dates, at most 366 days apart; each figure carries its numerator, denominator and a `/api/v1/parcels` link"
        " listing exactly the parcels counted (definitions: docs/analytics.md). The per-figure routes (on-time, "
        "first-attempt, transit-time, exceptions) give the same figures with `by=` breakdowns; this one stays. "
        "`format=csv` (or `Accept: text/csv`): the total and each lane as CSV."
    ),
    response_model=DeliveryAnalyticsOut,
    responses=errors(KEY, 422),
)
async def get_delivery_analytics(query: AnalyticsQueryDep, services: ServicesDep) -> Response:
    period, scope, extra, merchant = query.period, query.scope, query.extra, query.merchant
    result = await delivery_report(services, period=period, merchant_ids=scope)
    total = figures_document(result.total, period, extra, result.as_of)
    by_lane = [
        {**_lane(lane), "figures": figures_document(f, period, extra + lane_params(lane), result.as_of)}
        for lane, f in result.lanes.items()
    ]
    document = {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "as_of": result.as_of.isoformat(),
        "merchant": merchant,
        "figures": total,
        "by_lane": by_lane,
    }
    table = [{"origin": None, "destination_country": None, "figures": total}, *by_lane]
    return answer(query, document, table, "delivery")


@router.get(
    "/analytics/step-times",
    summary="Hours in each step (p50, p90) of the steps that ended in a period, each linked to its parcels",
    description=(
        "Merchant and admin keys (merchant keys: their own parcels) or a staff session; `merchant` narrows it to "
        "one merchant the caller sees. `from`/`to` are local dates, at most 366 days apart. `format=csv` (or "
        "`Accept: text/csv`): the steps as CSV."
    ),
    response_model=StepTimesOut,
    responses=errors(KEY, 422),
)
async def get_step_times(query: AnalyticsQueryDep, services: ServicesDep) -> Response:
    period, scope, extra, merchant = query.period, query.scope, query.extra, query.merchant
    result = await spans_report(services, period=period, merchant_ids=scope)
    steps = [
        {"step": step, **_durations(d, parcels_link(Drilldown(Kpi.STEP_TIMES, period, part=step), extra))}
        for step, d in result.steps.items()
    ]
    document = {"from": period.start.isoformat(), "to": period.end.isoformat(), "merchant": merchant, "steps": steps}
    return answer(query, document, steps, "step-times")


@router.get(
    "/analytics/dwell",
    summary="Hours at each facility (p50, p90) of the stays that ended in a period, and the parcels dwelling now",
    description=(
        "Merchant and admin keys (merchant keys: their own parcels) or a staff session. `from`/`to` are local "
        "dates, at most 366 days apart; `dwelling_now` links to the parcels now past their facility's p90 dwell. "
        "`format=csv` (or `Accept: text/csv`): the facilities as CSV."
    ),
    response_model=DwellAnalyticsOut,
    responses=errors(KEY, 422),
)
async def get_dwell(query: AnalyticsQueryDep, services: ServicesDep) -> Response:
    period, scope, extra, merchant = query.period, query.scope, query.extra, query.merchant
    result = await spans_report(services, period=period, merchant_ids=scope)
    waiting = await dwelling_now(services, merchant_ids=scope)
    facilities = [
        {"facility": name, **_durations(d, parcels_link(Drilldown(Kpi.DWELL, period, part=name), extra))}
        for name, d in result.dwell.items()
    ]
    document = {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "merchant": merchant,
        "facilities": facilities,
        "dwelling_now": {
            "count": len(waiting.parcel_ids),
            "as_of": waiting.as_of.isoformat(),
            "reference_from": waiting.reference.start.isoformat(),
            "reference_to": waiting.reference.end.isoformat(),
            "parcels": f"{PARCELS}?{urlencode([('dwelling', 'true'), *extra])}",
        },
    }
    return answer(query, document, facilities, "dwell")
