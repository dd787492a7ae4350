"""The webhook endpoints of the person's merchants, failing ones first (``?failing=true``: only those): the list the
overview's "Webhook endpoints failing" count opens. Managing them (create, rotate, test, delete) is on the merchant
settings pages (``settings_pages.py``) and the API (``/api/v1/webhook-endpoints``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ordertrail.services.console import endpoints as endpoint_service
from ordertrail.services.console.readers import visible_merchants
from ordertrail.web.console.common import PREFIX, page, staff_reader
from ordertrail.web.deps import ServicesDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/webhooks")
async def endpoints_page(request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    failing_only = request.query_params.get("failing") == "true"
    found = await endpoint_service.endpoints(services, reader, failing_only=failing_only)
    names = dict(await visible_merchants(services, reader))
    rows = [
        {
            "id": e.id,
            "url": e.url,
            "description": e.description,
            "merchant": names.get(e.merchant_id, ""),
            "failing": e.failing,
            "disabled": e.disabled_at is not None,
            "disabled_reason": e.disabled_reason,
            "last_attempt_at": e.last_attempt_at.isoformat() if e.last_attempt_at else None,
            "last_status_code": e.last_status_code,
            "last_error": e.last_error,
            "last_succeeded": e.last_succeeded,
        }
        for e in found
    ]
    context = {"endpoints": rows, "failing_only": failing_only, "several_merchants": len(names) > 1}
    return page("console/webhooks.html", session, context)
