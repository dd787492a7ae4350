"""The verified order view: opened from the order form (number + email or postal code) or a signed link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from ordertrail.domain.errors import InvalidOrderLink, OrderLocked, OrderNotVerified
from ordertrail.postal import locality
from ordertrail.services.orders.access import open_order_link, sign_order_link, verified_order, verify_order
from ordertrail.services.tracking.lookup import TrackingView
from ordertrail.web.deps import PublicDep, ServicesDep, client_address, render
from ordertrail.web.pages_common import parcel_context, shop_context
from ordertrail.web.tracking_pages import lookup_page

router = APIRouter(include_in_schema=False)

# Prefix of verified views: never cached (the security middleware adds Cache-Control: no-store).
PRIVATE_PREFIX = "/o/"


@router.post("/track/order")
async def open_order(
    request: Request,
    services: ServicesDep,
    public: PublicDep,
    order_number: Annotated[str, Form(max_length=100)] = "",
    verifier: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """Check the details and go to the order's view; failures answer the same whatever went wrong."""
    client = client_address(request)
    await public.throttle.check(client)
    try:
        order_id = await verify_order(
            services, lockout=public.order_lookups, client=client, order_number=order_number, verifier=verifier
        )
    except OrderNotVerified as error:
        return lookup_page(order_error=error.detail, order_number=order_number, status_code=404)
    except OrderLocked as error:
        minutes = max(1, round(error.retry_after_s / 60))
        message = f"Too many attempts for this order. For your security it is locked: try again in {minutes} min."
        return lookup_page(
            order_error=message,
            order_number=order_number,
            status_code=429,
            headers={"Retry-After": str(error.retry_after_s)},
        )
    token = sign_order_link(public.secret_key, order_id, services.clock() + public.order_view_ttl)
    return RedirectResponse(f"{PRIVATE_PREFIX}{token}", status_code=303)


@router.get(PRIVATE_PREFIX + "{token}")
async def order_view(token: str, request: Request, services: ServicesDep, public: PublicDep) -> Response:
    await public.throttle.check(client_address(request))
    try:
        order_id = open_order_link(public.secret_key, token, now=services.clock())
        order = await verified_order(services, order_id=order_id)
    except InvalidOrderLink as error:
        return render("link_invalid.html", {"message": error.detail}, status_code=404)
    # Each parcel with its delivery estimate, as on its tracking page: without it "Arriving on" stays empty.
    parcels = [
        parcel_context(
            TrackingView(p.parcel, p.derivation, None if p.parcel.estimate is None else p.parcel.estimate.snapshot())
        )
        for p in order.parcels
    ]
    for document, item in zip(parcels, order.parcels, strict=True):
        document["reference"] = item.parcel.reference
        document["position"] = item.parcel.position
    after = "-".join(str(p.parcel.state.last_sequence) for p in order.parcels)
    destination = order.order.destination
    return render(
        "order.html",
        {
            "order_number": order.order.order_number,
            "merchant": order.merchant.shown_name,
            "shop": shop_context(order.merchant),
            "destination": locality(destination),  # town, region and country as the country writes them
            "parcels": parcels,
            "stream_url": f"/api/v1/order-views/{token}/events?after={after}",
        },
    )
