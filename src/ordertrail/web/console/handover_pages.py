"""Handing parcels to couriers in bulk by CSV: an upload form, a preview of what each line would do (the bulk
handover's own transaction, rolled back: services/console/bulk_handover.py), and the confirmation that hands them
all over. The preview's form carries the file back (base64) with a fresh idempotency key: confirmed twice, it hands
over once, and the second answer is the first one's."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from ordertrail.domain.errors import Conflict, Forbidden, InvalidInput
from ordertrail.domain.staff import tokens
from ordertrail.services.console import bulk_handover, handover_csv
from ordertrail.services.console.bulk_handover import BatchResult, HandoverItem
from ordertrail.services.console.handing_over import require_handover
from ordertrail.services.console.handover_csv import MAX_CSV_BYTES, HandoverFile
from ordertrail.services.staff.sessions import StaffSession
from ordertrail.web.console.common import PREFIX, forbidden, page, staff_form, staff_reader
from ordertrail.web.deps import ServicesDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)
TEMPLATE = "console/handovers.html"
# The base64 of the largest file, with room: the confirmation form's field (Starlette takes 1 MiB per field).
_CARRIED_MAX = (MAX_CSV_BYTES + 2) // 3 * 4


@router.get("/handovers")
async def upload_page(request: Request) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    try:
        require_handover(reader)
    except Forbidden as error:
        return forbidden(session, error)
    return _upload(session)


@router.post("/handovers/preview")
async def preview(request: Request, services: ServicesDep) -> Response:
    form = await request.form()
    try:
        return await _preview(request, services, form.get("file"))
    finally:
        await form.close()  # the upload's spooled file, whichever way the page answered


async def _preview(request: Request, services: ServicesDep, upload: UploadFile | str | None) -> Response:
    signed = await staff_form(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _upload(session, error="Choose a CSV file to upload.", status_code=422)
    data = await upload.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        return _upload(session, error=handover_csv.TOO_LARGE, status_code=413)
    try:
        parsed = handover_csv.read_handovers(data)
        batch = await bulk_handover.preview(services, reader, parsed.items)
    except Forbidden as error:
        return forbidden(session, error)
    except InvalidInput as error:
        return _upload(session, error=error.detail, status_code=422)
    context = {
        "stage": "preview",
        "filename": upload.filename,
        "rows": _rows(parsed, batch),
        "counts": batch.document()["counts"],
        "upload": base64.b64encode(data).decode("ascii"),
        "key": tokens.new_secret(),
    }
    return page(TEMPLATE, session, context)


@router.post("/handovers")
async def confirm(
    request: Request,
    services: ServicesDep,
    upload: Annotated[str, Form(max_length=_CARRIED_MAX)] = "",
    key: Annotated[str, Form(max_length=200)] = "",
    filename: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    signed = await staff_form(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    try:
        if not key or not upload:
            raise InvalidInput("The form has expired: upload the file again.", field="key")
        try:
            data = base64.b64decode(upload, validate=True)
        except binascii.Error as error:
            raise InvalidInput("The form has expired: upload the file again.", field="upload") from error
        parsed = handover_csv.read_handovers(data)
        batch = await bulk_handover.hand_over_all(services, reader, parsed.items, key=key)
    except Forbidden as error:
        return forbidden(session, error)
    except (InvalidInput, Conflict) as error:
        return _upload(session, error=error.detail, status_code=409 if isinstance(error, Conflict) else 422)
    context = {
        "stage": "done",
        "filename": filename,
        "rows": _rows(parsed, batch),
        "counts": batch.document()["counts"],
        "replayed": batch.replayed,
    }
    return page(TEMPLATE, session, context)


def _upload(session: StaffSession, *, error: str | None = None, status_code: int = 200) -> Response:
    context = {
        "stage": "upload",
        "error": error,
        "max_kib": MAX_CSV_BYTES // 1024,
        "max_rows": bulk_handover.MAX_HANDOVERS,
    }
    return page(TEMPLATE, session, context, status_code=status_code)


def _rows(parsed: HandoverFile, batch: BatchResult) -> list[dict[str, Any]]:
    """Each item's answer with its line and what the line asked for, its problems named by column (the page's
    reader knows lines, not the batch's indexes)."""
    rows = []
    for result in batch.results:
        asked = parsed.items[result.index]
        given = asked if isinstance(asked, HandoverItem) else None
        rows.append(
            {
                "line": parsed.line_of(result.index),
                "tracking_number": result.tracking_number,
                "outcome": result.outcome,
                "courier": result.courier or (given.courier if given else None),
                "courier_tracking_number": result.courier_tracking_number
                or (given.courier_tracking_number if given else None),
                "problems": [(p.field.rsplit(".", 1)[-1], p.reason) for p in result.errors],
            }
        )
    return rows
