"""The customer's tracking page (/t/{number}) and the lookup forms (/ and /track)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from ordertrail.domain.errors import ParcelNotFound
from ordertrail.services.accounts import merchants as merchant_service
from ordertrail.services.tracking.lookup import canonical_number, track_parcel
from ordertrail.web.deps import PublicDep, ServicesDep, client_address, render
from ordertrail.web.pages_common import parcel_context, shop_context

router = APIRouter(include_in_schema=False)


def lookup_page(
    *,
    number: str = "",
    order_error: str | None = None,
    tracking_error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    order_number: str = "",
) -> Response:
    return render(
        "lookup.html",
        {
            "number": number,
            "order_number": order_number,
            "order_error": order_error,
            "tracking_error": tracking_error,
        },
        status_code=status_code,
        headers=headers,
    )


@router.get("/")
async def home() -> Response:
    return lookup_page()


@router.get("/track")
async def track(
    request: Request,
    public: PublicDep,
    number: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The lookup form; with ``number`` it is a lookup and goes to the parcel's page."""
    if number is None or not number.strip():
        return lookup_page()
    await public.throttle.check(client_address(request))
    try:
        canonical = canonical_number(number)
    except ParcelNotFound:
        return not_found_page(number)
    return RedirectResponse(f"/t/{canonical}", status_code=303)


def not_found_page(number: str) -> Response:
    # Unknown and malformed numbers get the very same page and status.
    return render("not_found.html", {"number": number[:64]}, status_code=404)


@router.get("/t/{tracking_number}")
async def tracking_page(tracking_number: str, request: Request, services: ServicesDep, public: PublicDep) -> Response:
    await public.throttle.check(client_address(request))
    try:
        view = await track_parcel(services, tracking_number=tracking_number)
    except ParcelNotFound:
        return not_found_page(tracking_number)
    parcel = parcel_context(view)
    stream = f"/api/v1/tracking/{view.parcel.tracking_number}/events?after={view.parcel.state.last_sequence}"
    shop = await merchant_service.customer_face(services, view.parcel.merchant_id)  # who the parcel is from
    context = {"parcel": parcel, "stream_url": stream, "merchant": shop and shop.shown_name, "shop": shop_context(shop)}
    return render("tracking.html", context)
