"""The parcel page's fixes: voiding a wrong scan (a form on each scan of the timeline), recording a missing scan by
hand, and correcting the order's recipient. Each is the API's use case (services/console/scan_fixes.py,
recipients.py) behind the console's CSRF and Origin check, with the form's own idempotency key (a double submit
acts once), answered with a redirect back to the page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from ordertrail.domain.errors import InvalidInput
from ordertrail.services.console import detail, recipients, scan_fixes
from ordertrail.services.console.readers import Reader
from ordertrail.web.console.action_pages import act_on_parcel
from ordertrail.web.console.common import PREFIX
from ordertrail.web.deps import ServicesDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Text = Annotated[str, Form(max_length=20_000)]
Key = Annotated[str | None, Form(max_length=200)]


@router.post("/parcels/{tracking_number}/scans/{event_id}/void")
async def void_scan(
    tracking_number: str,
    event_id: str,
    request: Request,
    services: ServicesDep,
    reason: Text = "",
    idempotency_key: Key = None,
) -> Response:
    async def act(reader: Reader, number: str) -> None:
        await scan_fixes.void_scan(
            services, reader, tracking_number=number, event_id=event_id, reason=reason, idempotency_key=idempotency_key
        )

    return await act_on_parcel(
        request, services, tracking_number, act, form=f"void-{event_id}", draft=reason, done="voided"
    )


@router.post("/parcels/{tracking_number}/scans")
async def record_scan(
    tracking_number: str,
    request: Request,
    services: ServicesDep,
    status: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=64)] = "",
    facility: Text = "",
    occurred_at: Annotated[str, Form(max_length=64)] = "",
    note: Text = "",
    idempotency_key: Key = None,
) -> Response:
    async def act(reader: Reader, number: str) -> None:
        await scan_fixes.record_manual_scan(
            services,
            reader,
            tracking_number=number,
            status=status,
            reason=reason,
            facility=facility,
            occurred_at=_instant(occurred_at),
            note=note,
            idempotency_key=idempotency_key,
        )

    return await act_on_parcel(request, services, tracking_number, act, form="scan", draft=note, done="scanned")


@router.post("/parcels/{tracking_number}/recipient")
async def correct_recipient(
    tracking_number: str,
    request: Request,
    services: ServicesDep,
    reason: Text = "",
    name: Text = "",
    email: Text = "",
    phone: Text = "",
    line1: Text = "",
    line2: Text = "",
    city: Text = "",
    region: Text = "",
    postal_code: Text = "",
    country: Text = "",
    idempotency_key: Key = None,
) -> Response:
    async def act(reader: Reader, number: str) -> None:
        found = await detail.parcel_detail(services, reader, number)
        customer = {"name": name, "email": email, "phone": phone}
        where = {"line1": line1, "line2": line2, "city": city, "region": region}
        where |= {"postal_code": postal_code, "country": country}
        given: dict[str, str | None] = {f"customer.{k}": v for k, v in customer.items()}
        given |= {f"destination.{k}": v for k, v in where.items()}
        await recipients.correct_recipient(
            services,
            reader,
            order_number=found.order.order_number,
            merchant_id=found.order.merchant_id,
            given=given,
            reason=reason,
            idempotency_key=idempotency_key,
        )

    return await act_on_parcel(
        request, services, tracking_number, act, form="recipient", draft=reason, done="recipient"
    )


def _instant(text: str) -> datetime:
    """The form's ``datetime-local`` value (UTC, as the page says) or RFC 3339 text. Raises InvalidInput."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("When it happened: a date and time, e.g. 2026-03-02 06:40.", field="occurred_at") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
