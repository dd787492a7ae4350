"""The parcel list: the console's list for API keys (merchant keys see only their merchant) and staff sessions.

Parameters are parsed by ``domain/console/query.py`` from the query string, the same code as the console's pages;
the ones declared here document them in the OpenAPI document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ordertrail.domain.console.filters import Sort
from ordertrail.domain.console.query import parse_query
from ordertrail.domain.scanning.status import Status
from ordertrail.http.deps import ServicesDep, json_response
from ordertrail.http.staff import ReaderDep
from ordertrail.services.console import parcels as parcel_list

router = APIRouter(prefix="/api/v1", tags=["parcels"])


@router.get("/parcels", summary="Parcels, filtered and searched, cursor-paginated (merchant keys: their own)")
async def list_parcels(
    request: Request,
    reader: ReaderDep,
    services: ServicesDep,
    status: Annotated[list[Status] | None, Query(description="Repeat, or separate with commas")] = None,
    q: Annotated[
        str | None, Query(max_length=20000, description="Tracking or order numbers (several at once), email or name")
    ] = None,
    merchant: Annotated[str | None, Query(max_length=200, description="A merchant's name (admins, staff)")] = None,
    reason: Annotated[str | None, Query(description="Exception or failed-attempt reason code")] = None,
    facility: Annotated[str | None, Query(max_length=200, description="Where its latest scan was")] = None,
    country: Annotated[str | None, Query(min_length=2, max_length=2, description="Destination country")] = None,
    delayed: bool | None = None,
    stalled: bool | None = None,
    placed_after: datetime | None = None,
    placed_before: datetime | None = None,
    sort: Sort = Sort.PLACED_DESC,
    cursor: Annotated[str | None, Query(max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    query = parse_query({name: request.query_params.getlist(name) for name in request.query_params})
    parcel_filter = await parcel_list.resolved_filter(services, reader, query)
    page = await parcel_list.list_parcels(services, reader, parcel_filter, cursor=query.cursor, limit=query.limit)
    return json_response({"parcels": [p.document() for p in page.parcels], "next_cursor": page.next_cursor})
