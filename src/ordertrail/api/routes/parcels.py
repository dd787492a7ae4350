"""The parcel list: the console's list for API keys (merchant keys see only their merchant) and staff sessions.

Parameters are parsed by ``domain/console/query.py`` from the query string, the same code as the console's pages;
the ones declared here document them in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ordertrail.api.documents.console import CancellationOut, CustomerNoticeOut, ParcelPageOut
from ordertrail.api.json_bodies import JSON_BODY
from ordertrail.api.responses import BODY, KEY, WRITES, errors
from ordertrail.api.schemas.orders import CancelIn, NoticeIn
from ordertrail.api.views import cancellation_view
from ordertrail.domain.console.filters import Sort
from ordertrail.domain.console.query import parse_query
from ordertrail.domain.scanning.status import Party, Status
from ordertrail.http.deps import ServicesDep, json_response
from ordertrail.http.staff import ReaderDep
from ordertrail.services.console import cancelling, messages
from ordertrail.services.console import parcels as parcel_list
from ordertrail.services.tracking.lookup import canonical_number

router = APIRouter(prefix="/api/v1", tags=["console"])


# Declared as text: ``parse_query`` checks every value (the pages' parser, with its messages); the declarations
# document the parameters in the OpenAPI document.
Text = str | None


@router.get(
    "/parcels",
    summary="Parcels, filtered and searched, cursor-paginated (merchant keys: their own)",
    description=(
        "Merchant and admin keys or a staff session; scanner keys get 403. Pass `next_cursor` back as `cursor` with"
        " the same `sort` until it is null (`limit` 1–200, default 50); `checked_at` says when this process last "
        "looked for stalled parcels."
    ),
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
    party: Annotated[
        Text, Query(description=f"Who must act on its exception: {', '.join(p.value for p in Party)}")
    ] = None,
    facility: Annotated[Text, Query(description="Where its latest scan was")] = None,
    country: Annotated[Text, Query(description="The destination country, ISO 3166 alpha-2")] = None,
    delayed: Annotated[Text, Query(description="true or false: its estimate is past the promise")] = None,
    stalled: Annotated[Text, Query(description="true or false: no scan for longer than its lane's threshold")] = None,
    not_picked_up: Annotated[
        Text, Query(description="true or false: its courier sent nothing within the lane's window (docs/couriers.md)")
    ] = None,
    courier_early: Annotated[
        Text, Query(description="true or false: a courier event is dated before its dispatch scan")
    ] = None,
    dwelling: Annotated[
        Text, Query(description="true: at a facility longer than its p90 dwell (docs/analytics.md)")
    ] = None,
    placed_after: Annotated[Text, Query(description="ISO 8601 with offset, or a date (UTC); inclusive")] = None,
    placed_before: Annotated[Text, Query(description="ISO 8601 with offset, or a date (midnight UTC)")] = None,
    handled: Annotated[
        Text, Query(description="true or false: its current exception was marked handled (the queue: false)")
    ] = None,
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


@router.post(
    "/parcels/{tracking_number}/cancel",
    summary="Cancel a parcel not yet dispatched (a cancelled event; again: no change); audited",
    description=(
        "Merchant and admin keys, or a staff session allowed to cancel; another merchant's parcel answers 404. Safe"
        " to retry: a parcel cancelled already answers 200 with no new event, and one already dispatched is a 409."
    ),
    response_model=CancellationOut,
    responses=errors(KEY, BODY, 404, 409, WRITES, notes={409: "The parcel is past cancelling: nothing changed"}),
    dependencies=[JSON_BODY],
)
async def cancel_parcel(tracking_number: str, body: CancelIn, reader: ReaderDep, services: ServicesDep) -> Response:
    done = await cancelling.cancel_parcel(
        services, reader, tracking_number=canonical_number(tracking_number), reason=body.reason
    )
    return json_response(cancellation_view([done]))


@router.post(
    "/parcels/{tracking_number}/notices",
    status_code=201,
    summary="Send the customer a message in your own words: emailed, shown on the tracking page; audited",
    description=(
        "Merchant and admin keys, or a staff session that may write notes (not viewers). It takes no Idempotency-"
        "Key: every call sends a new message, so read the parcel's timeline before retrying one whose answer was "
        "lost."
    ),
    response_model=CustomerNoticeOut,
    responses=errors(KEY, BODY, 404, WRITES),
    dependencies=[JSON_BODY],
)
async def send_customer_notice(
    tracking_number: str, body: NoticeIn, reader: ReaderDep, services: ServicesDep
) -> Response:
    sent = await messages.send_message(
        services, reader, tracking_number=canonical_number(tracking_number), text=body.message
    )
    document = {"message": sent.text, "sent_at": sent.created_at.isoformat(), "sent_by": sent.sent_by}
    return json_response({"tracking_number": canonical_number(tracking_number), **document}, 201)
