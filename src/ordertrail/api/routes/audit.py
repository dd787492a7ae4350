"""The audit log: admin keys read all of it; staff sessions their merchants' entries and their own actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from ordertrail.api.documents.console import AuditPageOut
from ordertrail.api.responses import KEY, errors
from ordertrail.api.schemas.common import Instant, plain
from ordertrail.domain.console.filters import aware
from ordertrail.domain.staff.audit import Action, AuditEntry
from ordertrail.http.deps import ServicesDep, json_response
from ordertrail.http.staff import ReaderDep
from ordertrail.services.staff.audit import audit_query, read_log, visible_query

router = APIRouter(prefix="/api/v1", tags=["console"])


def audit_document(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": {"kind": entry.actor_kind.value, "id": entry.actor_id, "name": entry.actor},
        "action": entry.action,
        "merchant_id": entry.merchant_id,
        "order_number": entry.order_number,
        "tracking_number": entry.tracking_number,
        "address": entry.address,
        "detail": entry.detail,
    }


@router.get(
    "/audit-log",
    summary="Staff and key actions, newest first, cursor-paginated",
    description=(
        "Admin keys, or a staff session (staff limited to some merchants see those merchants' entries and their own"
        " actions); merchant keys get 403. Pass `next_cursor` back as `cursor` until it is null (`limit` 1–200, "
        "default 50)."
    ),
    response_model=AuditPageOut,
    responses=errors(KEY, 422),
)
async def list_audit_entries(
    reader: ReaderDep,
    services: ServicesDep,
    action: Action | None = None,
    actor: Annotated[str | None, Query(max_length=320, description="A staff email or key name"), plain] = None,
    tracking_number: Annotated[str | None, Query(max_length=16), plain] = None,
    order_number: Annotated[str | None, Query(max_length=100), plain] = None,
    after: Annotated[Instant | None, Query(description="RFC 3339 with an offset, from 2000-01-01")] = None,
    before: Annotated[Instant | None, Query(description="RFC 3339 with an offset, from 2000-01-01")] = None,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    query = audit_query(
        action=action.value if action else None,
        actor=actor,
        tracking_number=tracking_number,
        order_number=order_number,
        after=aware(after, "after"),
        before=aware(before, "before"),
    )
    visible = visible_query(query, user=reader.user, key=reader.key)
    page = await read_log(services, visible, cursor=cursor, limit=limit)
    return json_response({"entries": [audit_document(e) for e in page.entries], "next_cursor": page.next_cursor})
