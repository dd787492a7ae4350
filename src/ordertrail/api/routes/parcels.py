"""The parcel list: the console's list for API keys (merchant keys see only their merchant) and staff sessions.

Parameters are parsed by ``domain/console/query.py`` from the query string, the same code as the console's pages;
the ones declared here document them in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ordertrail.api.documents.console import ParcelPageOut
from ordertrail.api.responses import KEY, errors
from ordertrail.domain.console.filters import Sort
from ordertrail.domain.console.query import parse_query
from ordertrail.domain.scanning.status import Status
from ordertrail.http.deps import ServicesDep, json_response
from ordertrail.http.staff import ReaderDep
from ordertrail.services.console import parcels as parcel_list

router = APIRouter(prefix="/api/v1", tags=["console"])


# Declared as text: ``parse_query`` checks every value (the pages' parser, with its messages); the declarations
# document the parameters in the OpenAPI document.
Text = str | None


@router.get(
    "/parcels",
    summary="Parcels, filtered and searched, cursor-paginated (merchant keys: their own)",
    response_model=ParcelPageOut,
    responses=errors(KEY, 404, 422, notes={404: "The merchant named does not exist"}),
)
async def list_parcels(
    request: Request,
    reader: ReaderDep,
    services: ServicesDep,
    status: Annotated[
        list[str] | None, Query(description=f"Repeat, or separate with commas: {', '.join(s.value for s in Status)}")
    ] = None,
    q: Annotated[Text, Query(description="Tracking or order numbers (several at once), an email or a name")] = None,
    merchant: Annotated[Text, Query(description="A merchant's name (admin keys, staff of several merchants)")] = None,
    reason: Annotated[Text, Query(description="An exception or failed-attempt reason code")] = None,
    facility: Annotated[Text, Query(description="Where its latest scan was")] = None,
    country: Annotated[Text, Query(description="The destination country, ISO 3166 alpha-2")] = None,
    delayed: Annotated[Text, Query(description="true or false: its estimate is past the promise")] = None,
    stalled: Annotated[Text, Query(description="true or false: no scan for longer than its lane's threshold")] = None,
    placed_after: Annotated[Text, Query(description="ISO 8601 with offset, or a date (UTC); inclusive")] = None,
    placed_before: Annotated[Text, Query(description="ISO 8601 with offset, or a date (midnight UTC)")] = None,
    sort: Annotated[Text, Query(description=f"One of {', '.join(s.value for s in Sort)}")] = None,
    cursor: Annotated[Text, Query(description="next_cursor of the previous page (same sort)")] = None,
    limit: Annotated[Text, Query(description="1 to 200 (default 50)")] = None,
) -> Response:
    query = parse_query({name: request.query_params.getlist(name) for name in request.query_params})
    parcel_filter = await parcel_list.resolved_filter(services, reader, query)
    page = await parcel_list.list_parcels(services, reader, parcel_filter, cursor=query.cursor, limit=query.limit)
    last_sweep = services.estimates.last_sweep_at if services.estimates is not None else None
    return json_response(
        {
            "parcels": [p.document() for p in page.parcels],
            "next_cursor": page.next_cursor,
            # When this process's stalled-parcel job last looked (None: the job runs in another process).
            "checked_at": last_sweep.isoformat() if last_sweep else None,
        }
    )
