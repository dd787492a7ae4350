"""Unmatched scans (admins and operations staff; admin keys): the list, and attaching one to its parcel."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from ordertrail.api.documents.operations import UnmatchedPageOut
from ordertrail.api.documents.scanning import ScanOut
from ordertrail.api.json_bodies import JSON_BODY
from ordertrail.api.responses import BODY, KEY, WRITES, errors
from ordertrail.api.schemas.scanning import AttachIn
from ordertrail.api.views import scan_result
from ordertrail.http.deps import ServicesDep, json_response
from ordertrail.http.staff import ReaderDep
from ordertrail.services.console import reconciling
from ordertrail.services.tracking.lookup import canonical_number

router = APIRouter(prefix="/api/v1", tags=["scanning"])


@router.get(
    "/unmatched-scans",
    summary="Scans of numbers no parcel has (yet), oldest first (admins and operations staff, admin keys)",
    description=(
        "Admin keys, or admin and operations staff sessions; merchant keys get 403. Pass `next_after` back as "
        "`after` until it is null (`limit` 1–500, default 100)."
    ),
    response_model=UnmatchedPageOut,
    responses=errors(KEY, 422),
)
async def list_unmatched_scans(
    reader: ReaderDep,
    services: ServicesDep,
    after: Annotated[int, Query(ge=0, le=2**62, description="Cursor: the last id of the previous page")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    rows = await reconciling.list_unmatched(services, reader, after=after, limit=limit)
    return json_response(
        {
            "unmatched_scans": [
                {
                    "id": row_id,
                    "event_id": kept.event_id,
                    "tracking_number": kept.tracking_number,
                    "recorded_at": kept.recorded_at.isoformat(),
                    "scan": orjson.loads(kept.payload),
                }
                for row_id, kept in rows
            ],
            "next_after": rows[-1][0] if len(rows) == limit else None,
        }
    )


@router.post(
    "/unmatched-scans/{unmatched_id}/attach",
    summary="Record an unmatched scan on the parcel it was meant for (a mistyped number); audited",
    description=(
        "Admin keys, or admin and operations staff sessions. The scan is recorded on the named parcel like a new "
        "scan and its answer is the scan's result; attaching it again (a retry) is a 409."
    ),
    response_model=ScanOut,
    responses=errors(
        KEY,
        BODY,
        404,
        409,
        WRITES,
        notes={404: "No such unmatched scan, or no parcel of yours with that number", 409: "Attached already"},
    ),
    dependencies=[JSON_BODY],
)
async def attach_unmatched_scan(
    unmatched_id: Annotated[int, Path(ge=1, le=2**62)], body: AttachIn, reader: ReaderDep, services: ServicesDep
) -> Response:
    result = await reconciling.attach(
        services, reader, unmatched_id=unmatched_id, tracking_number=canonical_number(body.tracking_number)
    )
    return json_response(scan_result(result))
