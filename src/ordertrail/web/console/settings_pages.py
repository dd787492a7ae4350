"""Merchant settings (``/console/settings``): the name customers see, its logo and the support contact, the
merchant's API keys (created, shown once, revoked), its weekly report (on or off, who receives it) and webhook endpoints
(created, secret rotated, a test event, deleted, their recent deliveries). Each form is the API's use case
(services/console/settings.py) behind the console's CSRF and Origin check. Changes answer with a redirect back
(post/redirect/get); a new key or secret is shown on the answer itself, once, since it is never stored to be
shown again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from ordertrail.domain.accounts.merchant_settings import MAX_LOGO_BYTES
from ordertrail.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, WebhookEndpointNotFound
from ordertrail.domain.notifying.endpoints import Endpoint
from ordertrail.domain.notifying.policy import EVENT_TYPES
from ordertrail.http.deps import SettingsDep
from ordertrail.services.console import settings as settings_service
from ordertrail.services.console.readers import Reader
from ordertrail.services.staff.sessions import StaffSession
from ordertrail.web.console.common import PREFIX, forbidden, page, staff_form, staff_reader
from ordertrail.web.deps import ServicesDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)
NOT_FOUND = "No merchant of yours has that id."
DONE = {
    "saved": "Settings saved.",
    "logo_saved": "Logo saved: the tracking page and new emails show it.",
    "logo_removed": "Logo removed.",
    "report_saved": "Weekly report saved.",
    "key_revoked": "Key revoked: it stops working at once.",
    "test_sent": "Test event queued: it appears under the endpoint's deliveries once sent.",
    "endpoint_deleted": "Endpoint deleted: nothing more is sent to it.",
}
DELIVERIES_SHOWN = 50


@router.get("/settings")
async def settings_index(request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    try:
        merchants = await settings_service.managed_merchants(services, reader)
    except Forbidden as error:
        return forbidden(session, error)
    if len(merchants) == 1:
        return RedirectResponse(f"{PREFIX}/settings/{merchants[0].id}", status_code=303)
    return page("console/settings_index.html", session, {"merchants": merchants})


@router.get("/settings/{merchant_id}")
async def settings_page(merchant_id: int, request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    try:
        return await _page(services, session, reader, merchant_id, done=DONE.get(request.query_params.get("done", "")))
    except Forbidden as error:
        return forbidden(session, error)
    except NotFound:
        return page("console/refused.html", session, {"message": NOT_FOUND}, status_code=404)


@router.get("/settings/{merchant_id}/endpoints/{endpoint_id}")
async def deliveries_page(merchant_id: int, endpoint_id: int, request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    try:
        found = await settings_service.settings_of(services, reader, merchant_id)
        endpoint = await _endpoint_of(services, reader, merchant_id, endpoint_id)
        attempts = await settings_service.deliveries(services, reader, endpoint_id, before=None, limit=DELIVERIES_SHOWN)
    except Forbidden as error:
        return forbidden(session, error)
    except NotFound:
        return page("console/refused.html", session, {"message": NOT_FOUND}, status_code=404)
    context = {"merchant": found, "endpoint": endpoint, "attempts": attempts, "shown": DELIVERIES_SHOWN}
    return page("console/settings_deliveries.html", session, context)


@router.post("/settings/{merchant_id}")
async def save_settings(
    merchant_id: int,
    request: Request,
    services: ServicesDep,
    display_name: Annotated[str, Form(max_length=2_000)] = "",
    support_email: Annotated[str, Form(max_length=2_000)] = "",
    support_url: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    async def act(reader: Reader) -> str:
        await settings_service.change_settings(
            services,
            reader,
            merchant_id,
            display_name=display_name,
            support_email=support_email,
            support_url=support_url,
        )
        return "saved"

    draft = {"display_name": display_name, "support_email": support_email, "support_url": support_url}
    return await _act(request, services, merchant_id, act, form="settings", draft=draft)


@router.post("/settings/{merchant_id}/logo")
async def save_logo(
    merchant_id: int, request: Request, services: ServicesDep, logo: Annotated[UploadFile | None, File()] = None
) -> Response:
    async def act(reader: Reader) -> str:
        # One byte past the limit is enough to refuse it: the rest is never read into memory.
        data = b"" if logo is None else await logo.read(MAX_LOGO_BYTES + 1)
        await settings_service.set_logo(services, reader, merchant_id, data)
        return "logo_saved"

    return await _act(request, services, merchant_id, act, form="logo", draft={})


@router.post("/settings/{merchant_id}/logo/remove")
async def remove_logo(merchant_id: int, request: Request, services: ServicesDep) -> Response:
    async def act(reader: Reader) -> str:
        await settings_service.remove_logo(services, reader, merchant_id)
        return "logo_removed"

    return await _act(request, services, merchant_id, act, form="logo", draft={})


@router.post("/settings/{merchant_id}/weekly-report")
async def save_weekly_report(
    merchant_id: int,
    request: Request,
    services: ServicesDep,
    enabled: Annotated[str, Form(max_length=10)] = "",
    recipients: Annotated[str, Form(max_length=4_000)] = "",
) -> Response:
    async def act(reader: Reader) -> str:
        on = enabled == "on"
        await settings_service.change_weekly_report(services, reader, merchant_id, enabled=on, recipients=recipients)
        return "report_saved"

    draft = {"enabled": enabled == "on", "recipients": recipients}
    return await _act(request, services, merchant_id, act, form="report", draft=draft)


@router.post("/settings/{merchant_id}/keys")
async def create_key(
    merchant_id: int, request: Request, services: ServicesDep, name: Annotated[str, Form(max_length=2_000)] = ""
) -> Response:
    async def act(reader: Reader) -> dict[str, Any]:
        created = await settings_service.create_key(services, reader, merchant_id, name=name)
        return {"new_key": created}

    return await _act(request, services, merchant_id, act, form="key", draft={"name": name})


@router.post("/settings/{merchant_id}/keys/{key_id}/revoke")
async def revoke_key(merchant_id: int, key_id: int, request: Request, services: ServicesDep) -> Response:
    async def act(reader: Reader) -> str:
        await settings_service.revoke_key(services, reader, merchant_id, key_id)
        return "key_revoked"

    return await _act(request, services, merchant_id, act, form="keys", draft={})


@router.post("/settings/{merchant_id}/endpoints")
async def create_endpoint(
    merchant_id: int,
    request: Request,
    services: ServicesDep,
    settings: SettingsDep,
    url: Annotated[str, Form(max_length=2_000)] = "",
    description: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    form = await request.form()
    event_types = [v for v in form.getlist("event_types") if isinstance(v, str)]

    async def act(reader: Reader) -> dict[str, Any]:
        if len(url.strip()) < 8:
            raise InvalidInput("The address to send webhooks to, https://…", field="url")
        created = await settings_service.create_endpoint(
            services,
            reader,
            merchant_id,
            url=url.strip(),
            event_types=event_types,
            description=" ".join(description.split())[:200] or None,
            allow_private=settings.webhook_allow_private,
            ports=settings.notifying.webhook_ports,
        )
        return {"new_secret": created}

    draft = {"url": url, "description": description, "event_types": event_types}
    return await _act(request, services, merchant_id, act, form="endpoint", draft=draft)


@router.post("/settings/{merchant_id}/endpoints/{endpoint_id}/rotate")
async def rotate_secret(merchant_id: int, endpoint_id: int, request: Request, services: ServicesDep) -> Response:
    async def act(reader: Reader) -> dict[str, Any]:
        await _endpoint_of(services, reader, merchant_id, endpoint_id)
        return {"new_secret": await settings_service.rotate_secret(services, reader, endpoint_id), "rotated": True}

    return await _act(request, services, merchant_id, act, form=f"endpoint-{endpoint_id}", draft={})


@router.post("/settings/{merchant_id}/endpoints/{endpoint_id}/test")
async def send_test(merchant_id: int, endpoint_id: int, request: Request, services: ServicesDep) -> Response:
    async def act(reader: Reader) -> str:
        await _endpoint_of(services, reader, merchant_id, endpoint_id)
        await settings_service.send_test_event(services, reader, endpoint_id)
        return "test_sent"

    return await _act(request, services, merchant_id, act, form=f"endpoint-{endpoint_id}", draft={})


@router.post("/settings/{merchant_id}/endpoints/{endpoint_id}/delete")
async def delete_endpoint(merchant_id: int, endpoint_id: int, request: Request, services: ServicesDep) -> Response:
    async def act(reader: Reader) -> str:
        await _endpoint_of(services, reader, merchant_id, endpoint_id)
        await settings_service.delete_endpoint(services, reader, endpoint_id)
        return "endpoint_deleted"

    return await _act(request, services, merchant_id, act, form=f"endpoint-{endpoint_id}", draft={})


async def _endpoint_of(services: ServicesDep, reader: Reader, merchant_id: int, endpoint_id: int) -> Endpoint:
    """The endpoint, when it is this merchant's (the page's address names both). Raises WebhookEndpointNotFound."""
    endpoint = await settings_service.endpoint(services, reader, endpoint_id)
    if endpoint.merchant_id != merchant_id:
        raise WebhookEndpointNotFound(f"No webhook endpoint {endpoint_id}.", field="endpoint_id")
    return endpoint


async def _page(
    services: ServicesDep,
    session: StaffSession,
    reader: Reader,
    merchant_id: int,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    found = await settings_service.settings_of(services, reader, merchant_id)
    keys = await settings_service.keys_of(services, reader, merchant_id)
    report = await settings_service.weekly_report_of(services, reader, merchant_id)
    endpoints = await settings_service.endpoints_of(services, reader, merchant_id)
    several = len(await settings_service.managed_merchants(services, reader)) > 1
    return page(
        "console/settings.html",
        session,
        {
            "merchant": found,
            "keys": keys,
            "report": report,
            "endpoints": endpoints,
            "event_types": EVENT_TYPES,
            "several_merchants": several,
            "draft": {},
            **context,
        },
        status_code=status_code,
    )


async def _act(
    request: Request,
    services: ServicesDep,
    merchant_id: int,
    act: Callable[[Reader], Awaitable[str | dict[str, Any]]],
    *,
    form: str,
    draft: dict[str, Any],
) -> Response:
    signed = await staff_form(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    try:
        outcome = await act(reader)
        if isinstance(outcome, str):
            return RedirectResponse(f"{PREFIX}/settings/{merchant_id}?done={outcome}", status_code=303)
        # A new key or secret: shown on this answer only (it is never stored to be shown again).
        return await _page(services, session, reader, merchant_id, **outcome)
    except Forbidden as error:
        return forbidden(session, error)
    except NotFound as error:
        if error.field in ("merchant_id", None):
            return page("console/refused.html", session, {"message": NOT_FOUND}, status_code=404)
        return await _page(services, session, reader, merchant_id, error=error.detail, error_form=form, status_code=404)
    except (InvalidInput, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 422
        return await _page(
            services, session, reader, merchant_id, error=error.detail, error_form=form, draft=draft, status_code=status
        )
