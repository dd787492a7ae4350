"""Labels to print: the reader's parcels without a printed label, and printing them in one PDF that marks them
printed (services/console/label_prints.py, the console's labels page's use case)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import Field
from starlette.responses import Response

from ordertrail.api.documents.console import LabelsToPrintOut
from ordertrail.api.json_bodies import JSON_BODY
from ordertrail.api.responses import BODY, KEY, WRITES, errors
from ordertrail.api.schemas.common import Strict
from ordertrail.domain.console.label_prints import MAX_PRINT
from ordertrail.domain.console.notes import idempotency_key
from ordertrail.http.deps import ServicesDep, SettingsDep, json_response
from ordertrail.http.staff import LabelReaderDep
from ordertrail.labels import Layout
from ordertrail.services.console import label_prints

router = APIRouter(prefix="/api/v1", tags=["console"])

_PDF: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The labels, one page per parcel, in the order asked for",
    }
}
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Send the same key with a retry: the labels are rendered again and nothing is recorded twice.",
    ),
]


class LabelPrintIn(Strict):
    """Parcels whose labels to print in one PDF and mark printed."""

    tracking_numbers: list[Annotated[str, Field(max_length=40)]] = Field(min_length=1, max_length=MAX_PRINT)
    layout: Layout = Layout.FOUR_BY_SIX


@router.get(
    "/labels/to-print",
    summary="The parcels whose label nobody has printed yet",
    description=(
        "Merchant and admin keys (merchant keys: their own parcels), a packing bench's scanner key (one paired "
        "with a merchant: that merchant's parcels) or a staff session; other scanner keys get 403. Parcels placed "
        "today (UTC) or not yet dispatched, without a printed label and not cancelled."
    ),
    response_model=LabelsToPrintOut,
    responses=errors(KEY),
)
async def list_labels_to_print(reader: LabelReaderDep, services: ServicesDep) -> Response:
    found = await label_prints.labels_page(services, reader)
    return json_response({"items": [row.document() for row in found.to_print]})


@router.post(
    "/labels/print",
    summary="Print parcels' labels in one PDF and mark them printed (a parcel printed before: a reprint); audited",
    description=(
        "Merchant and admin keys, a packing bench's scanner key (its merchant's parcels, recorded as printed by the "
        "device), or operations, merchant and admin staff (support and viewers get 403). Records a "
        "print per parcel and an audit entry; a parcel already printed is recorded as a reprint. A retry with the "
        "same `Idempotency-Key` gets the same PDF with `Idempotent-Replayed: true` and records nothing; the same "
        "key for other parcels is a 409. Any unknown (or another merchant's) number is a 404 naming it."
    ),
    response_class=Response,
    dependencies=[JSON_BODY],
    responses={
        **_PDF,
        **errors(
            KEY,
            BODY,
            404,
            409,
            WRITES,
            notes={
                403: "Support and viewer roles, a scanner key of no merchant, or a session's request without its CSRF "
                "token",
                404: "Unknown, malformed or another merchant's numbers (the same answer); the problem names them",
                409: "The Idempotency-Key was already used to print other parcels",
            },
        ),
    },
)
async def print_labels(
    body: LabelPrintIn,
    reader: LabelReaderDep,
    services: ServicesDep,
    settings: SettingsDep,
    key: IdempotencyKey = None,
) -> Response:
    done = await label_prints.print_labels(
        services,
        reader,
        tracking_numbers=body.tracking_numbers,
        layout=body.layout,
        public_base_url=settings.public_base_url,
        idempotency_key=idempotency_key(key),
    )
    headers = {"Content-Disposition": 'inline; filename="labels.pdf"'}
    if done.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(done.pdf, media_type="application/pdf", headers=headers)
