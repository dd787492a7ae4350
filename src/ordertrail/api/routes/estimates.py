"""Delivery estimates for merchants and admins: a parcel's revision history. (Stalled and delayed parcels are
filters of the parcel list, ``routes/parcels.py``.)"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from ordertrail.api.documents.operations import EstimateHistoryOut
from ordertrail.api.responses import KEY, errors
from ordertrail.domain.estimating.revisions import Revision
from ordertrail.http.deps import MerchantOrAdminDep, ServicesDep, json_response
from ordertrail.services.estimating import queries as estimate_queries

router = APIRouter(prefix="/api/v1", tags=["estimating"])


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


@router.get(
    "/parcels/{tracking_number}/estimates",
    summary="Every change of a parcel's delivery estimate",
    description=(
        "Merchant and admin keys; another merchant's parcel answers 404, as an unknown one does. Each revision "
        "carries its window (earliest, likely, latest), confidence, basis and why it changed."
    ),
    response_model=EstimateHistoryOut,
    responses=errors(KEY, 404, notes={404: "Unknown, malformed or another merchant's number (the same answer)"}),
)
async def get_estimate_history(tracking_number: str, principal: MerchantOrAdminDep, services: ServicesDep) -> Response:
    revisions = await estimate_queries.estimate_history(services, principal=principal, tracking_number=tracking_number)
    return json_response(
        {"tracking_number": tracking_number.upper(), "estimates": [revision_view(r) for r in revisions]}
    )
