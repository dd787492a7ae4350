"""Delivery estimates for merchants and admins: a parcel's revision history, and stalled or delayed parcels."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.estimating.revisions import Revision
from ordertrail.domain.inputs import ascii_digits
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.http.deps import MerchantOrAdminDep, ServicesDep, json_response
from ordertrail.services.context import Services
from ordertrail.services.estimating import queries as estimate_queries

router = APIRouter(prefix="/api/v1", tags=["estimates"])


def revision_view(revision: Revision) -> dict[str, Any]:
    return {
        "earliest": revision.earliest.isoformat(),
        "latest": revision.latest.isoformat(),
        "likely": revision.likely.isoformat(),
        "confidence": revision.confidence,
        "basis": revision.basis,
        "step": revision.step,
        "reason": revision.reason,
        "delayed": revision.delayed,
        "created_at": revision.created_at.isoformat(),
    }


def flagged_view(found: Parcel) -> dict[str, Any]:
    state = found.estimate
    assert state is not None  # parcel lists read the estimate state
    return {
        "tracking_number": found.tracking_number,
        "order_number": found.order_number,
        "status": found.state.status.value,
        "last_event_at": found.state.last_event_at.isoformat(),
        "step": state.step,
        "stalled_at": state.stalled_at.isoformat() if state.stalled_at else None,
        "stall_after": state.stall_after.isoformat() if state.stall_after else None,
        "delayed": state.delayed,
        "delay_reason": state.delay_reason,
        "promised_delivery_date": state.promise.isoformat() if state.promise else None,
        "estimated_delivery": None
        if state.earliest is None or state.latest is None
        else {
            "earliest": state.earliest.isoformat(),
            "latest": state.latest.isoformat(),
            "confidence": state.confidence,
        },
    }


@router.get("/parcels/{tracking_number}/estimates", summary="Every change of a parcel's delivery estimate")
async def get_estimates(tracking_number: str, principal: MerchantOrAdminDep, services: ServicesDep) -> Response:
    revisions = await estimate_queries.estimate_history(services, principal=principal, tracking_number=tracking_number)
    return json_response(
        {"tracking_number": tracking_number.upper(), "estimates": [revision_view(r) for r in revisions]}
    )


def _last_sweep(services: Services) -> datetime | None:
    return services.estimates.last_sweep_at if services.estimates is not None else None


@router.get("/parcels", summary="Parcels by their overlays: stalled (no scan for too long) or delayed")
async def list_parcels(
    principal: MerchantOrAdminDep,
    services: ServicesDep,
    stalled: bool | None = None,
    delayed: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    before_id = None
    if cursor is not None:
        before_id = ascii_digits(cursor[1:]) if cursor.startswith("p") else None
        if before_id is None:
            raise InvalidInput("The cursor is not one this API returned.", field="cursor")
    found = await estimate_queries.flagged(
        services, principal=principal, stalled=stalled, delayed=delayed, before_id=before_id, limit=limit + 1
    )
    page = found[:limit]
    return json_response(
        {
            "parcels": [flagged_view(p) for p in page],
            "next_cursor": f"p{page[-1].id}" if len(found) > limit else None,
            # When this process's stalled-parcel job last looked (None: the job runs in another process).
            "checked_at": last.isoformat() if (last := _last_sweep(services)) else None,
        }
    )
