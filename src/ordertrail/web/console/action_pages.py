"""The parcel page's actions other than notes: a message to the customer in the staff member's words, cancelling
the parcel, handing it to a courier, marking its exception handled, and resending its email or webhooks. Each is
the API's use case (services/console), behind the console's CSRF and Origin check, and answers with a redirect
back to the page (post/redirect/get: a reload never acts twice)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from ordertrail.domain.errors import Conflict, Forbidden, InvalidInput, ParcelNotFound
from ordertrail.services.console import cancelling, detail, handing_over, handling, messages, resending
from ordertrail.services.console.readers import Reader
from ordertrail.web.console.common import PREFIX, forbidden, page, staff_form
from ordertrail.web.console.detail_pages import NOT_FOUND, detail_page
from ordertrail.web.deps import ServicesDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.post("/parcels/{tracking_number}/message")
async def send_message(
    tracking_number: str, request: Request, services: ServicesDep, message: Annotated[str, Form(max_length=20_000)] = ""
) -> Response:
    async def act(reader: Reader, number: str) -> None:
        await messages.send_message(services, reader, tracking_number=number, text=message)

    return await act_on_parcel(request, services, tracking_number, act, form="message", draft=message, done="message")


@router.post("/parcels/{tracking_number}/cancel")
async def cancel(
    tracking_number: str, request: Request, services: ServicesDep, reason: Annotated[str, Form(max_length=2_000)] = ""
) -> Response:
    async def act(reader: Reader, number: str) -> None:
        await cancelling.cancel_parcel(services, reader, tracking_number=number, reason=reason)

    return await act_on_parcel(request, services, tracking_number, act, form="cancel", draft=reason, done="cancelled")


@router.post("/parcels/{tracking_number}/cancel-order")
async def cancel_order(
    tracking_number: str, request: Request, services: ServicesDep, reason: Annotated[str, Form(max_length=2_000)] = ""
) -> Response:
    async def act(reader: Reader, number: str) -> None:
        await cancelling.cancel_order_of(services, reader, tracking_number=number, reason=reason)

    return await act_on_parcel(
        request, services, tracking_number, act, form="cancel_order", draft=reason, done="order_cancelled"
    )


@router.post("/parcels/{tracking_number}/handover")
async def hand_over(
    tracking_number: str,
    request: Request,
    services: ServicesDep,
    courier: Annotated[str, Form(max_length=32)] = "",
    courier_tracking_number: Annotated[str, Form(max_length=60)] = "",
    service_level: Annotated[str, Form(max_length=64)] = "",
    tracking_url: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    async def act(reader: Reader, number: str) -> None:
        await handing_over.hand_over(
            services,
            reader,
            tracking_number=number,
            courier=courier.strip().lower(),
            courier_tracking_number=courier_tracking_number,
            service_level=service_level.strip() or None,
            tracking_url=tracking_url.strip() or None,
        )

    draft = courier_tracking_number
    return await act_on_parcel(
        request, services, tracking_number, act, form="handover", draft=draft, done="handed_over"
    )


@router.post("/parcels/{tracking_number}/exception/handled")
async def mark_handled(
    tracking_number: str,
    request: Request,
    services: ServicesDep,
    what_was_done: Annotated[str, Form(max_length=20_000)] = "",
    idempotency_key: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    async def act(reader: Reader, number: str) -> None:
        await handling.mark_handled(
            services, reader, tracking_number=number, what=what_was_done, idempotency_key=idempotency_key
        )

    return await act_on_parcel(
        request, services, tracking_number, act, form="handled", draft=what_was_done, done="handled"
    )


@router.post("/parcels/{tracking_number}/resend")
async def resend(
    tracking_number: str,
    request: Request,
    services: ServicesDep,
    channel: Annotated[str, Form(max_length=20)] = "",
    idempotency_key: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    async def act(reader: Reader, number: str) -> None:
        if channel not in {c.value for c in resending.Channel}:
            raise InvalidInput("Choose what to resend: the email or the webhooks.", field="channel")
        await resending.resend(
            services,
            reader,
            tracking_number=number,
            channel=resending.Channel(channel),
            message_id=None,
            idempotency_key=idempotency_key,
        )

    done = f"resent_{channel}" if channel in {c.value for c in resending.Channel} else "resent"
    return await act_on_parcel(request, services, tracking_number, act, form="resend", draft="", done=done)


async def act_on_parcel(
    request: Request,
    services: ServicesDep,
    tracking_number: str,
    act: Callable[[Reader, str], Awaitable[None]],
    *,
    form: str,
    draft: str,
    done: str,
) -> Response:
    """Run ``act`` for the signed-in reader behind the CSRF check; redirect back (``?done=``), or show the page
    again with the error in the form ``form`` names."""
    signed = await staff_form(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    try:
        number = detail.canonical_number(tracking_number)
        await act(reader, number)
    except Forbidden as error:
        return forbidden(session, error)
    except ParcelNotFound:
        return page("console/refused.html", session, {"message": NOT_FOUND}, status_code=404)
    except (InvalidInput, Conflict) as error:
        found = await detail.parcel_detail(services, reader, number)  # seen: the action found it
        status = 409 if isinstance(error, Conflict) else 422
        return detail_page(session, found, error=error.detail, draft=draft, form=form, status_code=status)
    return RedirectResponse(f"{PREFIX}/parcels/{number}?done={done}#timeline", status_code=303)
