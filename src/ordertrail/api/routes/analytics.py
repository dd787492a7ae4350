"""Delivery analytics for merchants' BI tools: every figure with its numerator, denominator and a link to
exactly the parcels it counted (the parcel list filtered the same way). Definitions: docs/analytics.md."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from starlette.responses import Response

from ordertrail.api.documents.analytics import DeliveryAnalyticsOut, DwellAnalyticsOut, StepTimesOut
from ordertrail.api.responses import KEY, errors
from ordertrail.domain.analytics.drilldown import Drilldown, lane_params
from ordertrail.domain.analytics.figures import RATES, TRANSITS, Figures
from ordertrail.domain.analytics.journeys import Lane
from ordertrail.domain.analytics.kpis import BY_REASON, OUTCOMES, Kpi
from ordertrail.domain.analytics.period import Period, parse_period
from ordertrail.domain.analytics.stats import Durations
from ordertrail.http.deps import ServicesDep, json_response
from ordertrail.http.staff import ReaderDep
from ordertrail.services.analytics.delivery import delivery_report
from ordertrail.services.analytics.spans import dwelling_now, spans_report
from ordertrail.services.console.readers import Reader, merchant_named
from ordertrail.services.context import Services

Scope = frozenset[int] | None

router = APIRouter(prefix="/api/v1", tags=["analytics"])
PARCELS = "/api/v1/parcels"


def _link(drilldown: Drilldown, extra: list[tuple[str, str]]) -> str:
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
            "parcels": _link(numerator, extra),
            "denominator_parcels": _link(Drilldown(kpi, period), extra),
        }
        if kpi in BY_REASON:
            found[kpi.value]["by_reason"] = {
                reason: {
                    "value": r.value,
                    "numerator": r.numerator,
                    "denominator": r.denominator,
                    "parcels": _link(Drilldown(kpi, period, OUTCOMES[kpi][0], reason=reason), extra),
                }
                for reason, r in f.by_reason[kpi].items()
            }
    found[Kpi.LATE_OPEN.value] = {
        "count": f.late_open,
        "parcels": _link(Drilldown(Kpi.LATE_OPEN, period, as_of=as_of), extra),
    }
    for kpi in TRANSITS:
        d = f.transits[kpi]
        found[kpi.value] = {
            "parcels_counted": d.count,
            "p50_hours": d.p50,
            "p90_hours": d.p90,
            "mean_hours": d.mean,
            "parcels": _link(Drilldown(kpi, period), extra),
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
        " listing exactly the parcels counted (definitions: docs/analytics.md)."
    ),
    response_model=DeliveryAnalyticsOut,
    responses=errors(KEY, 422),
)
async def get_delivery_analytics(
    reader: ReaderDep,
    services: ServicesDep,
    start: Annotated[str | None, Query(alias="from", description="First local date, YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last local date, YYYY-MM-DD (at most 366 days)")] = None,
    merchant: Annotated[str | None, Query(description="A merchant's name (admin keys, staff of several)")] = None,
) -> Response:
    period = parse_period(start, end)
    scope, extra = await _scope(reader, services, merchant)
    result = await delivery_report(services, period=period, merchant_ids=scope)
    return json_response(
        {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "as_of": result.as_of.isoformat(),
            "merchant": merchant,
            "figures": figures_document(result.total, period, extra, result.as_of),
            "by_lane": [
                {**_lane(lane), "figures": figures_document(f, period, extra + lane_params(lane), result.as_of)}
                for lane, f in result.lanes.items()
            ],
        }
    )


async def _scope(reader: Reader, services: Services, merchant: str | None) -> tuple[Scope, list[tuple[str, str]]]:
    """The merchants counted (the reader's, or the one named among them) and the list parameter saying so."""
    if not merchant:
        return reader.scope, []
    return frozenset({await merchant_named(services, reader, merchant)}), [("merchant", merchant)]


@router.get(
    "/analytics/step-times",
    summary="Hours in each step (p50, p90) of the steps that ended in a period, each linked to its parcels",
    description=(
        "Merchant and admin keys (merchant keys: their own parcels) or a staff session; `merchant` narrows it to "
        "one merchant the caller sees. `from`/`to` are local dates, at most 366 days apart."
    ),
    response_model=StepTimesOut,
    responses=errors(KEY, 422),
)
async def get_step_times(
    reader: ReaderDep,
    services: ServicesDep,
    start: Annotated[str | None, Query(alias="from", description="First local date, YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last local date, YYYY-MM-DD (at most 366 days)")] = None,
    merchant: Annotated[str | None, Query(description="A merchant's name (admin keys, staff of several)")] = None,
) -> Response:
    period = parse_period(start, end)
    scope, extra = await _scope(reader, services, merchant)
    result = await spans_report(services, period=period, merchant_ids=scope)
    return json_response(
        {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "merchant": merchant,
            "steps": [
                {"step": step, **_durations(d, _link(Drilldown(Kpi.STEP_TIMES, period, part=step), extra))}
                for step, d in result.steps.items()
            ],
        }
    )


@router.get(
    "/analytics/dwell",
    summary="Hours at each facility (p50, p90) of the stays that ended in a period, and the parcels dwelling now",
    description=(
        "Merchant and admin keys (merchant keys: their own parcels) or a staff session. `from`/`to` are local "
        "dates, at most 366 days apart; `dwelling_now` links to the parcels now past their facility's p90 dwell."
    ),
    response_model=DwellAnalyticsOut,
    responses=errors(KEY, 422),
)
async def get_dwell(
    reader: ReaderDep,
    services: ServicesDep,
    start: Annotated[str | None, Query(alias="from", description="First local date, YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last local date, YYYY-MM-DD (at most 366 days)")] = None,
    merchant: Annotated[str | None, Query(description="A merchant's name (admin keys, staff of several)")] = None,
) -> Response:
    period = parse_period(start, end)
    scope, extra = await _scope(reader, services, merchant)
    result = await spans_report(services, period=period, merchant_ids=scope)
    waiting = await dwelling_now(services, merchant_ids=scope)
    return json_response(
        {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "merchant": merchant,
            "facilities": [
                {"facility": name, **_durations(d, _link(Drilldown(Kpi.DWELL, period, part=name), extra))}
                for name, d in result.dwell.items()
            ],
            "dwelling_now": {
                "count": len(waiting.parcel_ids),
                "as_of": waiting.as_of.isoformat(),
                "reference_from": waiting.reference.start.isoformat(),
                "reference_to": waiting.reference.end.isoformat(),
                "parcels": f"{PARCELS}?{urlencode([('dwelling', 'true'), *extra])}",
            },
        }
    )
