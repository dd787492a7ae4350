"""Operations for admins: unmatched scans."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from starlette.responses import Response

from ordertrail.api.documents.operations import UnmatchedPageOut
from ordertrail.api.responses import KEY, errors
from ordertrail.http.deps import AdminDep, ServicesDep, json_response
from ordertrail.storage.scanning import unmatched as unmatched_store

router = APIRouter(prefix="/api/v1", tags=["scanning"])


@router.get(
    "/unmatched-scans",
    summary="Scans of numbers no parcel has (yet), oldest first (admin keys)",
    response_model=UnmatchedPageOut,
    responses=errors(KEY, 422),
)
async def list_unmatched_scans(
    _: AdminDep,
    services: ServicesDep,
    after: Annotated[int, Query(ge=0, le=2**62, description="Cursor: the last id of the previous page")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    rows = await services.db.read(lambda c: unmatched_store.list_unmatched(c, after_id=after, limit=limit))
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
