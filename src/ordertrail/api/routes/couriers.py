"""Couriers: handing a parcel over to one (merchant and admin keys, scoped like every parcel route)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from ordertrail.api.json_bodies import JSON_BODY
from ordertrail.api.schemas.couriers import HandoverIn
from ordertrail.domain.couriers.handover import Handover
from ordertrail.http.deps import MerchantOrAdminDep, ServicesDep, json_response
from ordertrail.services.couriers import handover as handover_service

router = APIRouter(prefix="/api/v1", tags=["couriers"])


def handover_document(handover: Handover) -> dict[str, Any]:
    return {
        "courier": handover.courier,
        "courier_name": handover.courier_name,
        "tracking_number": handover.tracking_number,
        "service_level": handover.service_level,
        "tracking_url": handover.tracking_url,
        "recognised": handover.recognised,
        "handed_over_at": handover.handed_over_at.isoformat(),
    }


@router.post(
    "/parcels/{tracking_number}/handover",
    summary="Hand a parcel to a courier (replaces an earlier handover)",
    dependencies=[JSON_BODY],
    responses={
        404: {"description": "Unknown, malformed or another merchant's number (the same answer)"},
        409: {"description": "Another parcel has this courier's tracking number"},
    },
)
async def post_handover(
    tracking_number: str, body: HandoverIn, principal: MerchantOrAdminDep, services: ServicesDep
) -> Response:
    handover = await handover_service.hand_over(
        services,
        principal=principal,
        parcel_number=tracking_number,
        courier=body.courier,
        tracking_number=body.tracking_number,
        service_level=body.service_level,
        tracking_url=body.tracking_url,
    )
    return json_response(handover_document(handover))
