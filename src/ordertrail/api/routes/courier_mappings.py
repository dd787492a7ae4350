"""Merchants' meanings of courier codes over the shipped mapping files, and the codes no mapping knew: for API keys
(merchant keys: their own merchant) and staff sessions, with the console's rules (services/console/
courier_codes.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from ordertrail.api.documents.couriers import CourierMappingChangeOut, CourierMappingsOut, UnmappedCodesOut
from ordertrail.api.idempotency import IdempotencyKey, replayed_headers
from ordertrail.api.json_bodies import JSON_BODY
from ordertrail.api.responses import BODY, KEY, WRITES, errors
from ordertrail.api.schemas.couriers import CourierMappingIn
from ordertrail.domain.console.notes import idempotency_key
from ordertrail.http.deps import ServicesDep, json_response
from ordertrail.http.staff import ReaderDep
from ordertrail.services.console import courier_codes

router = APIRouter(prefix="/api/v1", tags=["couriers"])

CourierPath = Annotated[str, Path(max_length=32, description="The courier's code, e.g. ups.")]
CodePath = Annotated[str, Path(max_length=64, description="The courier's status code, as its events carry it.")]
CHANGE_NOTES = {
    403: "Support and viewer roles, or a session's request without its CSRF token",
    409: "The Idempotency-Key was already used for another request",
    422: "A malformed courier or code, a mapping the mapping files' rules refuse, or no such merchant among yours",
}


@router.get(
    "/unmapped-courier-codes",
    summary="Courier codes no mapping knew, on your merchants' parcels (recorded in transit)",
    description=(
        "Merchant and admin keys (merchant keys: their own parcels) or a staff session. Each item counts the events "
        "and parcels of one (merchant, courier, code); it leaves the list once an override maps the code."
    ),
    response_model=UnmappedCodesOut,
    responses=errors(KEY),
)
async def list_unmapped_courier_codes(reader: ReaderDep, services: ServicesDep) -> Response:
    codes = await courier_codes.unmapped_codes(services, reader)
    return json_response({"codes": [c.document() for c in codes]})


@router.get(
    "/courier-mappings",
    summary="Your merchants' overrides of the shipped courier status mappings",
    description="Merchant and admin keys (merchant keys: their own merchant) or a staff session.",
    response_model=CourierMappingsOut,
    responses=errors(KEY),
)
async def list_courier_mappings(reader: ReaderDep, services: ServicesDep) -> Response:
    return json_response({"overrides": await courier_codes.list_overrides(services, reader)})


@router.put(
    "/courier-mappings/{courier}/{code}",
    summary="Set a merchant's meaning of a courier code; its parcels are re-derived; audited",
    description=(
        "Merchant and admin keys, or operations, merchant and admin staff. Checked by the mapping files' rules. The "
        "merchant's courier events with this code are recorded again with the new meaning (a replacement event at "
        "the courier's time, and a correction voiding the old one), so the parcels' status, tracking pages, "
        "estimates, emails and webhooks follow as if the code had been mapped so from the start. With an "
        "`Idempotency-Key`, a retry answers with the first answer and `Idempotent-Replayed: true`."
    ),
    dependencies=[JSON_BODY],
    response_model=CourierMappingChangeOut,
    responses=errors(KEY, BODY, 409, WRITES, notes=CHANGE_NOTES),
)
async def set_courier_mapping(
    courier: CourierPath,
    code: CodePath,
    body: CourierMappingIn,
    reader: ReaderDep,
    services: ServicesDep,
    key: IdempotencyKey = None,
) -> Response:
    change = await courier_codes.set_override(
        services,
        reader,
        merchant=body.merchant,
        courier=courier,
        code=code,
        status=body.status,
        reason=body.reason,
        substatus=body.substatus,
        idempotency_key=idempotency_key(key),
    )
    headers = replayed_headers(change.replayed)
    return json_response(change.document, headers=headers)


@router.delete(
    "/courier-mappings/{courier}/{code}",
    summary="Remove a merchant's override: the shipped mapping applies again and its parcels are re-derived; audited",
    description=(
        "Merchant and admin keys, or operations, merchant and admin staff. The answer says what the code means now "
        "(`source`: shipped, or unmapped: recorded in transit and back in the unmapped codes). With an "
        "`Idempotency-Key`, a retry answers with the first answer and `Idempotent-Replayed: true`."
    ),
    response_model=CourierMappingChangeOut,
    responses=errors(
        KEY, 404, 409, 422, WRITES, notes={**CHANGE_NOTES, 404: "The merchant has no override of this code"}
    ),
)
async def remove_courier_mapping(
    courier: CourierPath,
    code: CodePath,
    reader: ReaderDep,
    services: ServicesDep,
    merchant: Annotated[
        str | None, Query(max_length=200, description="The merchant; may be left out by a reader of one merchant.")
    ] = None,
    key: IdempotencyKey = None,
) -> Response:
    change = await courier_codes.remove_override(
        services, reader, merchant=merchant, courier=courier, code=code, idempotency_key=idempotency_key(key)
    )
    headers = replayed_headers(change.replayed)
    return json_response(change.document, headers=headers)
