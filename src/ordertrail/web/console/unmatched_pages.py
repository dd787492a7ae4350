"""The unmatched scans queue: scans of numbers no parcel has, each with a form to attach it to the parcel it was
meant for (services/console/reconciling.py, the API's use case). Admins and operations staff only."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from ordertrail.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from ordertrail.services.console import detail, reconciling
from ordertrail.services.console.readers import Reader
from ordertrail.services.staff.sessions import StaffSession
from ordertrail.web.console.common import PREFIX, forbidden, page, staff_form, staff_reader
from ordertrail.web.deps import ServicesDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)
PAGE = 50


@router.get("/unmatched")
async def unmatched_page(
    request: Request, services: ServicesDep, after: Annotated[int, Query(ge=0, le=2**62)] = 0
) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    done = request.query_params.get("done")
    return await _page(services, session, reader, after=after, done=done[:20] if done else None)


@router.post("/unmatched/{unmatched_id}/attach")
async def attach(
    unmatched_id: int,
    request: Request,
    services: ServicesDep,
    tracking_number: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    signed = await staff_form(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    try:
        number = detail.canonical_number(tracking_number)
        await reconciling.attach(services, reader, unmatched_id=unmatched_id, tracking_number=number)
    except Forbidden as error:
        return forbidden(session, error)
    except NotFound as error:
        return await _page(services, session, reader, error=error.detail or "No such parcel.", status_code=404)
    except (InvalidInput, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 422
        reasons = "; ".join(f"{p.field} {p.reason}" for p in getattr(error, "problems", [])) or error.detail
        return await _page(services, session, reader, error=reasons, status_code=status)
    return RedirectResponse(f"{PREFIX}/unmatched?done={quote(number)}", status_code=303)


async def _page(
    services: ServicesDep,
    session: StaffSession,
    reader: Reader,
    *,
    after: int = 0,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        rows = await reconciling.list_unmatched(services, reader, after=after, limit=PAGE)
    except Forbidden as refused:
        return forbidden(session, refused)
    scans: list[dict[str, Any]] = []
    for row_id, kept in rows:
        scan = orjson.loads(kept.payload)
        scans.append(
            {
                "id": row_id,
                "tracking_number": kept.tracking_number,
                "status": scan["status"],
                "occurred_at": scan["occurred_at"],
                "facility": scan["location"].get("facility"),
                "recorded_at": kept.recorded_at.isoformat(),
            }
        )
    context = {
        "scans": scans,
        "next_after": rows[-1][0] if len(rows) == PAGE else None,
        "done": done,
        "error": error,
    }
    return page("console/unmatched.html", session, context, status_code=status_code)
