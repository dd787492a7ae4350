"""Bulk actions from the parcel list: a preview of exactly the parcels the filter selects, forms to message their
customers, cancel them, mark their exceptions handled or resend their email or webhooks (each with a required
text), and the result page. The form carries the selection's digest and a fresh idempotency key: submitted twice,
it acts once; if a scan changed the selection meanwhile, the new preview is shown instead."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from ordertrail.domain.console.bulk import MAX_BULK, BulkKind
from ordertrail.domain.console.query import PARAMETERS, parse_query
from ordertrail.domain.errors import Conflict, Forbidden, InvalidInput
from ordertrail.domain.notifying.messages import MESSAGE_MAX
from ordertrail.domain.staff import tokens
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console import bulk
from ordertrail.services.console import parcels as parcel_list
from ordertrail.services.console.readers import Reader
from ordertrail.services.staff.sessions import StaffSession
from ordertrail.web.console.common import PREFIX, forbidden, page, staff_form, staff_reader
from ordertrail.web.console.parcel_pages import filter_params, query_string
from ordertrail.web.deps import ServicesDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)
DONE_TEXTS = {
    BulkKind.MESSAGE.value: "messages sent",
    BulkKind.CANCEL.value: "parcels cancelled",
    BulkKind.HANDLE.value: "exceptions marked handled",
    BulkKind.RESEND_EMAIL.value: "emails resent",
    BulkKind.RESEND_WEBHOOK.value: "parcels' webhooks replayed",
}


@router.get("/bulk")
async def bulk_preview(request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    return await _preview(services, session, reader, filter_params(request))


@router.post("/bulk")
async def bulk_submit(
    request: Request,
    services: ServicesDep,
    action: Annotated[str, Form(max_length=20)] = "",
    text: Annotated[str, Form(max_length=20_000)] = "",
    digest: Annotated[str, Form(max_length=64)] = "",
    key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    signed = await staff_form(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    form = await request.form()
    params = {name: [str(v) for v in form.getlist(name) if str(v).strip()] for name in PARAMETERS}
    params = {name: values for name, values in params.items() if values}
    try:
        kind = BulkKind(action)
        parcel_filter = await parcel_list.resolved_filter(services, reader, parse_query(params))
        done, _ = await bulk.run(services, reader, parcel_filter, kind=kind, text=text, digest=digest, key=key)
    except ValueError:
        return await _preview(services, session, reader, params, error="Choose what to do.", status_code=422)
    except Forbidden as error:
        return forbidden(session, error)
    except (InvalidInput, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 422
        return await _preview(
            services, session, reader, params, error=error.detail, draft=(action, text), status_code=status
        )
    return RedirectResponse(f"{PREFIX}/bulk/done?key={quote(done.key)}", status_code=303)


@router.get("/bulk/done")
async def bulk_done(request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    found = await bulk.result(services, reader, request.query_params.get("key", "")[:200])
    if found is None:
        return page("console/refused.html", session, {"message": "No such bulk action of yours."}, status_code=404)
    return page("console/bulk_done.html", session, {"done": found, "what": DONE_TEXTS.get(found.action, "done")})


async def _preview(
    services: ServicesDep,
    session: StaffSession,
    reader: Reader,
    params: dict[str, list[str]],
    *,
    error: str | None = None,
    draft: tuple[str, str] = ("", ""),  # the refused form's action and text, to fill that form in again
    status_code: int = 200,
) -> Response:
    try:
        parcel_filter = await parcel_list.resolved_filter(services, reader, parse_query(params))
        selection = await bulk.preview(services, reader, parcel_filter)
    except InvalidInput as refused:
        return page("console/refused.html", session, {"message": refused.detail}, status_code=422)
    context: dict[str, Any] = {
        "selection": selection,
        "hidden": [(name, value) for name, values in params.items() for value in values],
        # A key per form: one preview page offers several actions, and each is its own bulk action.
        "keys": {kind.value: tokens.new_secret() for kind in BulkKind},
        "may_message": reader.may(Permission.NOTE),
        "may_cancel": reader.may(Permission.CANCEL),
        "may_handle": reader.may(Permission.HANDLE),
        "may_resend": reader.may(Permission.NOTE),
        "max_message": MESSAGE_MAX,
        "max_bulk": MAX_BULK,
        "error": error,
        "draft_action": draft[0],
        "draft": draft[1],
        "back": f"{PREFIX}/parcels?{query_string(params)}",
    }
    return page("console/bulk.html", session, context, status_code=status_code)
