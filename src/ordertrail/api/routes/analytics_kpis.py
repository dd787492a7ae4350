"""One route per figure for merchants' BI tools, ``GET /api/v1/analytics/{kpi}`` (step-times and dwell are in
analytics.py): each rate as value, numerator and denominator with links to exactly the parcels counted, an
optional ``by=`` breakdown of the same objects per key, and each table as CSV. Definitions: docs/analytics.md."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from ordertrail.api.analytics_query import AnalyticsQuery, AnalyticsQueryDep, answer
from ordertrail.api.documents.analytics import (
    ExceptionsOut,
    FirstAttemptOut,
    OnTimeOut,
    ScanActivityOut,
    TransitTimeOut,
)
from ordertrail.api.responses import KEY, errors
from ordertrail.api.routes.analytics import figures_document, parcels_link
from ordertrail.domain.analytics.activity import Activity
from ordertrail.domain.analytics.breakdowns import By, Group, parse_by
from ordertrail.domain.analytics.drilldown import Drilldown
from ordertrail.domain.analytics.figures import Figures, Rate
from ordertrail.domain.analytics.kpis import OUTCOMES, Kpi
from ordertrail.http.deps import ServicesDep
from ordertrail.services.analytics.activity import activity_report
from ordertrail.services.analytics.delivery import delivery_breakdown
from ordertrail.services.context import Services

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

ByQuery = Annotated[
    str | None,
    Query(
        description="lane, facility (the origin facility), service_level (of the parcel's courier handover; null: "
        "none) or reason (exceptions only): a breakdown"
    ),
]
WHO = (
    "Merchant and admin keys (merchant keys: their own parcels; `merchant` narrows to one the caller sees) or a staff"
    " session. `from`/`to` are local dates, at most 366 days apart; `format=csv` (or `Accept: text/csv`) streams "
    "the table (the total, then one line per breakdown key) as CSV. "
)
GROUPS = (By.LANE, By.FACILITY, By.SERVICE_LEVEL)


async def _figures(
    query: AnalyticsQuery, services: Services, by_text: str | None, allowed: tuple[By, ...]
) -> tuple[dict[str, Any], dict[str, Any], list[tuple[Group, dict[str, Any]]], By | None]:
    """The header of the answer, every figure's document in total, and per breakdown group."""
    by = parse_by(by_text, allowed)
    report, groups = await delivery_breakdown(services, period=query.period, merchant_ids=query.scope, by=by)
    as_of = report.as_of

    def doc(f: Figures, params: list[tuple[str, str]]) -> dict[str, Any]:
        return figures_document(f, query.period, query.extra + params, as_of)

    head = {
        "from": query.period.start.isoformat(),
        "to": query.period.end.isoformat(),
        "as_of": as_of.isoformat(),
        "merchant": query.merchant,
        "by": None if by is None else by.value,
    }
    return head, doc(report.total, []), [(g, doc(g.figures, g.params)) for g in groups], by


def _answer(
    query: AnalyticsQuery,
    head: dict[str, Any],
    total: dict[str, Any],
    breakdown: list[dict[str, Any]] | None,
    name: str,
) -> Response:
    document = {**head, **total, "breakdown": breakdown}
    table = [{"row": "total", **total}, *({"row": "breakdown", **group} for group in breakdown or [])]
    return answer(query, document, table, name)


def _on_time(figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "vs_promise": figures[Kpi.ON_TIME_VS_PROMISE.value],
        "late_open": figures[Kpi.LATE_OPEN.value],
        "vs_first_estimate": figures[Kpi.ON_TIME_VS_FIRST_ESTIMATE.value],
        "inside_first_window": figures[Kpi.INSIDE_FIRST_WINDOW.value],
    }


@router.get(
    "/on-time",
    summary="On time vs promise (and late, still open), vs the first estimate, and inside its window",
    description=WHO + "By the local date of delivery.",
    response_model=OnTimeOut,
    responses=errors(KEY, 422),
)
async def get_on_time(query: AnalyticsQueryDep, services: ServicesDep, by: ByQuery = None) -> Response:
    head, total, groups, chosen = await _figures(query, services, by, GROUPS)
    breakdown = None if chosen is None else [{**g.key, **_on_time(doc)} for g, doc in groups]
    return _answer(query, head, _on_time(total), breakdown, "on-time")


@router.get(
    "/first-attempt",
    summary="First-attempt delivery rate",
    description=WHO + "By the local date of delivery.",
    response_model=FirstAttemptOut,
    responses=errors(KEY, 422),
)
async def get_first_attempt(query: AnalyticsQueryDep, services: ServicesDep, by: ByQuery = None) -> Response:
    head, total, groups, chosen = await _figures(query, services, by, GROUPS)
    rate = Kpi.FIRST_ATTEMPT.value
    breakdown = None if chosen is None else [{**g.key, "rate": doc[rate]} for g, doc in groups]
    return _answer(query, head, {"rate": total[rate]}, breakdown, "first-attempt")


def _transit(figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "from_dispatch": figures[Kpi.TRANSIT_FROM_DISPATCH.value],
        "from_order": figures[Kpi.TRANSIT_FROM_ORDER.value],
    }


@router.get(
    "/transit-time",
    summary="Hours and delivery days from dispatch and from the order to delivery: p50, p90, mean",
    description=WHO
    + "By the local date of delivery; percentiles by nearest rank, in calendar hours and in delivery days (the "
    "destination country's delivery calendar: days after the start's local date up to the delivery's).",
    response_model=TransitTimeOut,
    responses=errors(KEY, 422),
)
async def get_transit_time(query: AnalyticsQueryDep, services: ServicesDep, by: ByQuery = None) -> Response:
    head, total, groups, chosen = await _figures(query, services, by, GROUPS)
    breakdown = None if chosen is None else [{**g.key, **_transit(doc)} for g, doc in groups]
    return _answer(query, head, _transit(total), breakdown, "transit-time")


def _exceptions(figures: dict[str, Any]) -> dict[str, Any]:
    rate = dict(figures[Kpi.EXCEPTIONS.value])
    by_reason = rate.pop("by_reason", {})
    by_party = rate.pop("by_party", {})
    failed = {k: v for k, v in figures[Kpi.FAILED_ATTEMPTS.value].items() if k != "by_reason"}
    return {"rate": rate, "by_reason": by_reason, "by_party": by_party, "failed_attempts": failed}


def _by_reason(figures: dict[str, Any], query: AnalyticsQuery) -> list[dict[str, Any]]:
    """One row per reason code met: the exception and failed-attempt rates of that reason (a reason the parcels
    did not meet in one of the two has numerator 0 there, and its link lists no parcel)."""

    def rate(kpi: Kpi, reason: str) -> dict[str, Any]:
        figure = figures[kpi.value]
        found: dict[str, Any] | None = figure["by_reason"].get(reason)
        if found is not None:
            return found
        numerator = Drilldown(kpi, query.period, OUTCOMES[kpi][0], reason=reason)
        zero = Rate(0, figure["denominator"])
        link = parcels_link(numerator, query.extra)
        return {"value": zero.value, "numerator": 0, "denominator": zero.denominator, "parcels": link}

    reasons = sorted({*figures[Kpi.EXCEPTIONS.value]["by_reason"], *figures[Kpi.FAILED_ATTEMPTS.value]["by_reason"]})
    return [
        {"reason": r, "rate": rate(Kpi.EXCEPTIONS, r), "failed_attempts": rate(Kpi.FAILED_ATTEMPTS, r)} for r in reasons
    ]


@router.get(
    "/exceptions",
    summary="Exception rate, by reason code and by responsible party, and the failed-attempt rate",
    description=WHO
    + "By the local date of dispatch. `by_party`: every party who must act (carrier, merchant, recipient, customs, "
    "force_majeure) -> the rate of parcels with an exception of that party's reasons. `by=reason`: one line per "
    "reason code, both rates.",
    response_model=ExceptionsOut,
    responses=errors(KEY, 422),
)
async def get_exceptions(query: AnalyticsQueryDep, services: ServicesDep, by: ByQuery = None) -> Response:
    head, total, groups, chosen = await _figures(query, services, by, (*GROUPS, By.REASON))
    breakdown: list[dict[str, Any]] | None = None
    if chosen is By.REASON:
        breakdown = _by_reason(total, query)
    elif chosen is not None:
        breakdown = [{**g.key, **_exceptions(doc)} for g, doc in groups]
    return _answer(query, head, _exceptions(total), breakdown, "exceptions")


def _share(rate: Rate) -> dict[str, Any]:
    return {"value": rate.value, "numerator": rate.numerator, "denominator": rate.denominator}


def _activity(activity: Activity) -> dict[str, Any]:
    return {
        "scans": activity.scans,
        "active_hours": activity.active_hours,
        "scans_per_hour": activity.per_hour,
        "duplicates": _share(activity.duplicates),
        "late": _share(activity.late),
    }


@router.get(
    "/scan-activity",
    summary="Scans per active hour per facility and per scanner device; duplicate and late shares per device",
    description=WHO + "By the local date of each scan. The CSV has one line per facility, then per device (`kind`).",
    response_model=ScanActivityOut,
    responses=errors(KEY, 422),
)
async def get_scan_activity(query: AnalyticsQueryDep, services: ServicesDep) -> Response:
    found = await activity_report(services, period=query.period, merchant_ids=query.scope)
    facilities = [{"facility": name, **_activity(a)} for name, a in found.facilities.items()]
    devices = [{"device": name, **_activity(a)} for name, a in found.devices.items()]
    document = {
        "from": query.period.start.isoformat(),
        "to": query.period.end.isoformat(),
        "merchant": query.merchant,
        "facilities": facilities,
        "devices": devices,
    }
    table = [
        *({"kind": "facility", "name": f.pop("facility"), **f} for f in map(dict, facilities)),
        *({"kind": "device", "name": d.pop("device"), **d} for d in map(dict, devices)),
    ]
    return answer(query, document, table, "scan-activity")
