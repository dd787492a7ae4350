"""Public tracking (no key) and the parcel summary for scanners."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ordertrail.api.documents.scanning import ParcelSummaryOut
from ordertrail.api.documents.tracking import TrackingOut
from ordertrail.api.responses import PUBLIC, errors
from ordertrail.api.views import parcel_summary
from ordertrail.domain.accounts.keys import Role
from ordertrail.domain.errors import ParcelNotFound
from ordertrail.http.client import client_address
from ordertrail.http.deps import PrincipalDep, ServicesDep, get_public, get_services, get_tracking_cache, json_response
from ordertrail.services.tracking.lookup import canonical_number, parcel_by_number

router = APIRouter(prefix="/api/v1", tags=["tracking"])
PREFIX = "/api/v1/tracking/"


async def tracking_response(request: Request, tracking_number: str) -> Response:
    """The public tracking document (also served by the hot-path router)."""
    await get_public(request).throttle.check(client_address(request))
    body = await get_tracking_cache(request).document(get_services(request), tracking_number)
    return Response(body, media_type="application/json")


async def hot_tracking(request: Request) -> Response:
    return await tracking_response(request, request.scope["path"][len(PREFIX) :])


@router.get(
    "/tracking/{tracking_number}",
    summary="Public tracking: status, milestones and timeline, without personal data",
    description=(
        "Needs no key; rate-limited per client address (`ORDERTRAIL_PUBLIC_RATE_LIMIT`, 120 a minute), then 429 "
        "with `Retry-After`. An unknown and a malformed number answer the same 404."
    ),
    response_model=TrackingOut,
    response_description="The parcel's public tracking document",
    responses=errors(
        404, 429, notes={404: "Unknown or malformed number (the same answer for both)", 429: "Too many lookups"}
    ),
    openapi_extra=PUBLIC,
)
async def get_tracking(tracking_number: str, request: Request) -> Response:
    return await tracking_response(request, tracking_number)


@router.get(
    "/parcels/{tracking_number}",
    summary="The short parcel summary a scanner shows",
    description=(
        "Any key role, scanner keys included; a merchant key gets 404 for another merchant's parcel, as for an "
        "unknown one."
    ),
    response_model=ParcelSummaryOut,
    responses=errors(401, 404, notes={404: "Unknown, malformed or another merchant's number (the same answer)"}),
)
async def get_parcel_summary(tracking_number: str, principal: PrincipalDep, services: ServicesDep) -> Response:
    parcel = await parcel_by_number(services, canonical_number(tracking_number))
    if principal.role is Role.MERCHANT and parcel.merchant_id != principal.merchant_id:
        raise ParcelNotFound()
    return json_response(parcel_summary(parcel))
