"""The unmapped courier codes queue and merchants' overrides of the courier mappings (services/console/
courier_codes.py, the API's use cases): each unmapped code with a form to say what it means, each override with a
button to remove it. Mapping needs the handle permission; everyone who reads sees their merchants' codes.

The forms carry the session's CSRF token and a fresh Idempotency-Key per rendering, so a re-posted form acts once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from ordertrail.domain.couriers.mapping import COURIER_STATUSES
from ordertrail.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from ordertrail.domain.scanning.status import ATTEMPT_REASONS, EXCEPTION_REASONS, STATUS_LABELS
from ordertrail.domain.staff import tokens
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console import courier_codes
from ordertrail.services.console.readers import Reader
from ordertrail.services.staff.sessions import StaffSession
from ordertrail.web.console.common import PREFIX, forbidden, page, staff_form, staff_reader
from ordertrail.web.deps import ServicesDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Short = Annotated[str, Form(max_length=200)]


@router.get("/courier-codes")
async def courier_codes_page(request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    done = request.query_params.get("done")
    return await _page(services, session, reader, done=done[:100] if done else None)


@router.post("/courier-codes/map")
async def map_code(
    request: Request,
    services: ServicesDep,
    merchant: Short = "",
    courier: Short = "",
    code: Short = "",
    status: Short = "",
    reason: Short = "",
    substatus: Short = "",
    idempotency_key: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    signed = await staff_form(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    try:
        await courier_codes.set_override(
            services,
            reader,
            merchant=merchant or None,
            courier=courier,
            code=code,
            status=status,
            reason=reason or None,
            substatus=substatus or None,
            idempotency_key=idempotency_key or None,
        )
    except Forbidden as error:
        return forbidden(session, error)
    except (InvalidInput, Conflict) as error:
        return await _refused(services, session, reader, error)
    return RedirectResponse(f"{PREFIX}/courier-codes?done=mapped", status_code=303)


@router.post("/courier-codes/remove")
async def remove_code(
    request: Request,
    services: ServicesDep,
    merchant: Short = "",
    courier: Short = "",
    code: Short = "",
    idempotency_key: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    signed = await staff_form(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    try:
        await courier_codes.remove_override(
            services, reader, merchant=merchant or None, courier=courier, code=code, idempotency_key=idempotency_key
        )
    except Forbidden as error:
        return forbidden(session, error)
    except (InvalidInput, Conflict, NotFound) as error:
        return await _refused(services, session, reader, error)
    return RedirectResponse(f"{PREFIX}/courier-codes?done=removed", status_code=303)


async def _refused(
    services: ServicesDep, session: StaffSession, reader: Reader, error: InvalidInput | Conflict | NotFound
) -> Response:
    status = 404 if isinstance(error, NotFound) else 409 if isinstance(error, Conflict) else 422
    reasons = "; ".join(f"{p.field} {p.reason}" for p in getattr(error, "problems", [])) or error.detail
    return await _page(services, session, reader, error=reasons, status_code=status)


async def _page(
    services: ServicesDep,
    session: StaffSession,
    reader: Reader,
    *,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    codes = await courier_codes.unmapped_codes(services, reader)
    overrides = await courier_codes.list_overrides(services, reader)
    context = {
        "codes": codes,
        "overrides": overrides,
        "may_map": reader.may(Permission.HANDLE),
        "several_merchants": reader.scope is None or len(reader.scope) > 1,
        "statuses": [(s.value, STATUS_LABELS[s.value]) for s in COURIER_STATUSES],
        "reasons": sorted({*EXCEPTION_REASONS, *ATTEMPT_REASONS}),
        "form_key": tokens.new_secret(),
        "done": done if done in ("mapped", "removed") else None,
        "error": error,
    }
    return page("console/courier_codes.html", session, context, status_code=status_code)
