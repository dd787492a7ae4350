"""The overview, the parcel list (search, filters, sorting, cursor pages) and its CSV export.

The list and the export read the same query string through the same parser and filter, so the export holds
exactly the filtered set, however many pages it spans.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from ordertrail.domain.console.filters import ParcelFilter, Sort
from ordertrail.domain.console.query import PARAMETERS, REASONS, parse_query
from ordertrail.domain.errors import Forbidden, InvalidInput
from ordertrail.domain.scanning.status import STATUS_LABELS, Party, Status, responsible_party
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console import courier_codes, endpoints, label_prints, reconciling
from ordertrail.services.console import parcels as parcel_list
from ordertrail.services.console.readers import Reader, visible_merchants
from ordertrail.web.console.common import PREFIX, forbidden, page, signed_in, staff_reader
from ordertrail.web.deps import ServicesDep, client_address

router = APIRouter(prefix=PREFIX, include_in_schema=False)

CSV_COLUMNS = (
    "tracking_number",
    "order_number",
    "merchant",
    "status",
    "reason",
    "customer_name",
    "customer_email",
    "destination_country",
    "placed_at",
    "last_event_at",
    "delayed",
    "stalled",
)
# A cell starting with one of these is a formula to a spreadsheet: the export prefixes it (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def filter_params(request: Request) -> dict[str, list[str]]:
    """The query string's filter parameters (not the cursor), without empty values."""
    params = {name: [v for v in request.query_params.getlist(name) if v.strip()] for name in PARAMETERS}
    return {name: values for name, values in params.items() if values}


def query_string(params: dict[str, list[str]], **changes: str | None) -> str:
    """The list's query string for ``params``, with ``changes`` set (None: removed)."""
    merged: dict[str, list[str]] = {**params}
    for name, value in changes.items():
        merged.pop(name, None)
        if value is not None:
            merged[name] = [value]
    return urlencode([(k, v) for k, values in merged.items() for v in values])


@router.get("")
async def overview_page(request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    counts = await parcel_list.overview(services, reader)
    statuses = [(s.value, STATUS_LABELS[s], counts.get(s.value, 0)) for s in Status]
    reasons = await parcel_list.problem_reasons(services, reader)
    exceptions = {r: n for (status, r), n in reasons.items() if status == Status.EXCEPTION.value}
    by_party = {party: 0 for party in Party}
    for reason, count in exceptions.items():
        by_party[responsible_party(reason)] += count
    return page(
        "console/overview.html",
        session,
        {
            "statuses": statuses,
            "total": sum(counts.get(s.value, 0) for s in Status),
            "delayed": counts.get("delayed", 0),
            "stalled": counts.get("stalled", 0),
            "not_picked_up": counts.get("not_picked_up", 0),
            "courier_early": counts.get("courier_early", 0),
            "dwelling": counts.get("dwelling", 0),
            "merchants": await visible_merchants(services, reader),
            # Exceptions by who must act, then by reason; failed attempts by reason: each a link to its parcels.
            "parties": [(party.value, count) for party, count in by_party.items()],
            "exception_reasons": sorted(exceptions.items(), key=lambda item: (-item[1], item[0])),
            "open_exceptions": sum(exceptions.values()),  # the queue: exceptions not yet marked handled
            "attempt_reasons": sorted(
                ((r, n) for (status, r), n in reasons.items() if status == Status.DELIVERY_ATTEMPTED.value),
                key=lambda item: (-item[1], item[0]),
            ),
            "failing_endpoints": await endpoints.failing_count(services, reader),
            "unmapped_codes": await courier_codes.unmapped_count(services, reader),
            "labels_to_print": await label_prints.unprinted_count(services, reader),
            "may_reconcile": reader.may(Permission.RECONCILE),
            "unmatched": await reconciling.unmatched_count(services, reader) if reader.may(Permission.RECONCILE) else 0,
        },
    )


@router.get("/parcels")
async def parcels_page(request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    params = filter_params(request)
    merchants = await visible_merchants(services, reader)
    context: dict[str, Any] = {
        "params": params,
        "statuses": [(s.value, STATUS_LABELS[s]) for s in Status],
        "reasons": sorted(REASONS),
        "parties": [party.value for party in Party],
        "merchants": merchants,
        "sorts": [(s.value, _sort_label(s)) for s in Sort],
        "parcels": [],
        "next_link": None,
        "errors": [],
        "export_link": f"{PREFIX}/parcels.csv?{query_string(params)}",
        "bulk_link": f"{PREFIX}/bulk?{query_string(params)}",
        "first_page_link": f"{PREFIX}/parcels?{query_string(params)}",
        "is_later_page": "cursor" in request.query_params,
    }
    try:
        query = parse_query({**params, "cursor": request.query_params.getlist("cursor")})
        parcel_filter = await parcel_list.resolved_filter(services, reader, query)
        result = await parcel_list.list_parcels(services, reader, parcel_filter, cursor=query.cursor, limit=50)
    except InvalidInput as error:
        context["errors"] = [(p.field, p.reason) for p in error.problems] or [(None, error.detail)]
        return page("console/parcels.html", session, context, status_code=422)
    sort = parcel_filter.sort
    context.update(
        parcels=[_row(p.document()) for p in result.parcels],
        sort=sort.value,
        sort_links={
            column: f"{PREFIX}/parcels?{query_string(params, sort=_toggled(sort, column), cursor=None)}"
            for column in ("placed_at", "last_event_at")
        },
        next_link=f"{PREFIX}/parcels?{query_string(params, cursor=result.next_cursor)}" if result.next_cursor else None,
        summary=_summary(parcel_filter, len(result.parcels), more=result.next_cursor is not None),
    )
    return page("console/parcels.html", session, context)


def _row(document: dict[str, Any]) -> dict[str, Any]:
    document["status_label"] = STATUS_LABELS[document["status"]]
    document["placed_day"] = document["placed_at"][:10]
    document["last_event_short"] = document["last_event_at"][:16].replace("T", " ")
    return document


def _sort_label(sort: Sort) -> str:
    what = "placed" if sort.column == "placed_at" else "latest scan"
    return f"{what.capitalize()}, {'newest' if sort.descending else 'oldest'} first"


def _toggled(current: Sort, column: str) -> str:
    if current.column == column:
        return Sort(column if current.descending else f"-{column}").value
    return f"-{column}"


def _summary(parcel_filter: ParcelFilter, shown: int, *, more: bool) -> str:
    noun = "parcel" if shown == 1 else "parcels"
    return f"{shown} {noun} on this page{', more on the next' if more else ''}."


@router.get("/parcels.csv")
async def parcels_export(request: Request, services: ServicesDep) -> Response:
    session = await signed_in(request)
    if isinstance(session, Response):
        return session
    try:
        reader = Reader.of_staff(session.user, client_address(request))
        params = filter_params(request)
        query = parse_query(params)
        parcel_filter = await parcel_list.resolved_filter(services, reader, query)
    except Forbidden as error:
        return forbidden(session, error)
    except InvalidInput as error:
        return page("console/refused.html", session, {"message": error.detail}, status_code=422)
    await parcel_list.record_export(services, reader, query={k: ",".join(v) for k, v in params.items()})
    stamp = services.clock().strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        _csv(parcel_list.export_parcels(services, reader, parcel_filter)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="parcels-{stamp}.csv"'},
    )


def _cell(value: Any) -> str:
    text = "" if value is None else ("true" if value is True else "false" if value is False else str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


async def _csv(rows: AsyncIterator[Any]) -> AsyncIterator[bytes]:
    """CSV lines, a batch of rows at a time: never the whole set in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    async for item in rows:
        document = item.document()
        writer.writerow([_cell(document[c]) for c in CSV_COLUMNS])
        count += 1
        if count % 200 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
