"""The audit log's page (filters, cursor pages) and its streamed CSV export.

Both read ``GET /api/v1/audit-log``'s data through the same use case (services/staff/audit.py): ``visible_query``
limits every query to what the person may see (an admin everything; anyone else their merchants' entries and
their own actions), so a merchant user never sees another shop's entries on the page or in the export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from ordertrail.domain.errors import Forbidden, InvalidInput
from ordertrail.domain.staff.audit import Action, AuditEntry
from ordertrail.services.console.readers import visible_merchants
from ordertrail.services.staff import audit
from ordertrail.web.console.common import PREFIX, forbidden, page, staff_reader
from ordertrail.web.deps import ServicesDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PAGE = 50
CSV_COLUMNS = (
    "id",
    "at",
    "actor_kind",
    "actor",
    "action",
    "merchant",
    "order_number",
    "tracking_number",
    "address",
    "detail",
)
# A cell starting with one of these is a formula to a spreadsheet (OWASP CSV injection): prefixed with a quote.
# Actors, notes and reasons are typed by people, so any column may hold one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _filters(request: Request) -> dict[str, str]:
    """The filters given (each once; empty ones dropped), to parse and to carry into the pager and export links."""
    found = {name: request.query_params.get(name, "").strip() for name in audit.FILTERS}
    return {name: value for name, value in found.items() if value}


@router.get("/audit")
async def audit_page(request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    filters = _filters(request)
    names = dict(await visible_merchants(services, reader))
    context: dict[str, Any] = {
        "filters": filters,
        "actions": [a.value for a in Action],
        "entries": [],
        "errors": [],
        "next_link": None,
        "is_later_page": "cursor" in request.query_params,
        "first_page_link": f"{PREFIX}/audit?{urlencode(filters)}",
        "export_link": f"{PREFIX}/audit.csv?{urlencode(filters)}",
    }
    try:
        query = audit.visible_query(audit.parse_filters(filters), user=session.user)
        cursor = request.query_params.get("cursor") or None
        found = await audit.read_log(services, query, cursor=cursor, limit=PAGE)
    except Forbidden as error:
        return forbidden(session, error)
    except InvalidInput as error:
        context["errors"] = [(p.field, p.reason) for p in error.problems] or [(None, error.detail)]
        return page("console/audit.html", session, context, status_code=422)
    context["entries"] = [_row(entry, names) for entry in found.entries]
    if found.next_cursor is not None:
        context["next_link"] = f"{PREFIX}/audit?{urlencode({**filters, 'cursor': found.next_cursor})}"
    return page("console/audit.html", session, context)


def _row(entry: AuditEntry, names: dict[int, str]) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "at_short": entry.at.isoformat()[:19].replace("T", " "),
        "actor": entry.actor,
        "actor_kind": entry.actor_kind.value,
        "action": entry.action,
        # An entry of another merchant is one of the person's own actions there: no name to show for it.
        "merchant": names.get(entry.merchant_id) if entry.merchant_id is not None else None,
        "order_number": entry.order_number,
        "tracking_number": entry.tracking_number,
        "address": entry.address,
        "detail": [(k, v if isinstance(v, str) else orjson.dumps(v).decode()) for k, v in entry.detail.items()],
    }


@router.get("/audit.csv")
async def audit_export(request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    filters = _filters(request)
    try:
        query = audit.visible_query(audit.parse_filters(filters), user=session.user)
    except Forbidden as error:
        return forbidden(session, error)
    except InvalidInput as error:
        return page("console/refused.html", session, {"message": error.detail}, status_code=422)
    names = dict(await visible_merchants(services, reader))
    await audit.record_export(services, reader.actor, filters=filters)
    stamp = services.clock().strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        _csv(audit.export_log(services, query), names),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-log-{stamp}.csv"'},
    )


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


async def _csv(entries: AsyncIterator[AuditEntry], names: dict[int, str]) -> AsyncIterator[bytes]:
    """CSV lines, sent every 200 rows: never the whole log in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    async for entry in entries:
        merchant = names.get(entry.merchant_id) if entry.merchant_id is not None else None
        row = (
            entry.id,
            entry.at.isoformat(),
            entry.actor_kind.value,
            entry.actor,
            entry.action,
            merchant,
            entry.order_number,
            entry.tracking_number,
            entry.address,
            orjson.dumps(entry.detail, option=orjson.OPT_SORT_KEYS).decode(),
        )
        writer.writerow([_cell(v) for v in row])
        count += 1
        if count % 200 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
