"""Devices of the scanner station: pairing by code, who am I, and decoding camera frames on the server."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from ordertrail.adapters.decoding import decode_frame
from ordertrail.api.documents.accounts import DecodedFrameOut, KeyOut, PairedKeyOut
from ordertrail.api.json_bodies import JSON_BODY
from ordertrail.api.responses import BODY, KEY, PUBLIC, WRITES, errors
from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.errors import PayloadTooLarge, UnsupportedMediaType
from ordertrail.http.client import client_address
from ordertrail.http.deps import PairingLockoutDep, PrincipalDep, ServicesDep, SettingsDep, json_response, require
from ordertrail.services.accounts import pairing

router = APIRouter(prefix="/api/v1", tags=["accounts"])

ScannerDep = Annotated[Principal, Depends(require(Role.SCANNER))]
FRAME_TYPES = ("image/jpeg", "image/png")


class PairingExchangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=32, description="The code `ordertrail keys pair` printed, e.g. ABCD-EFGH.")


@router.post(
    "/pairing/exchange",
    status_code=201,
    summary="Exchange a one-time pairing code for a new scanner key (shown once)",
    description=(
        "Needs no key: the one-time code from `ordertrail keys pair` is the secret. The new key is in the answer "
        "only, so a retry after a lost answer gets 401 (the code is used) and the device must be paired again; 10 "
        "wrong codes from one address in 15 minutes answer 429."
    ),
    response_model=PairedKeyOut,
    responses=errors(401, BODY, 429, WRITES, notes={401: "Unknown, used or expired code", 429: "Too many wrong codes"}),
    dependencies=[JSON_BODY],
    openapi_extra=PUBLIC,
)
async def exchange_pairing_code(
    body: PairingExchangeIn, request: Request, services: ServicesDep, lockout: PairingLockoutDep
) -> Response:
    # Counted before the code is tried: parallel guesses from several processes cannot pass the limit.
    reservation = await lockout.reserve(client_address(request))
    paired = await pairing.exchange_pairing_code(services, code=body.code)  # a wrong code keeps its count
    await reservation.succeeded()
    return json_response(
        {
            "key": paired.key.plaintext,
            "key_id": paired.key.id,
            "role": paired.key.role.value,
            "name": paired.key.name,
            "facility": paired.facility,
        },
        201,
    )


@router.get(
    "/me",
    summary="The caller's key: role, name and bound facility",
    description=(
        "Any valid key; `facility` is null unless the key is bound to a facility. A cheap way for a client to check"
        " its key (401 when it is unknown or revoked)."
    ),
    response_model=KeyOut,
    responses=errors(401),
)
async def get_current_key(principal: PrincipalDep) -> Response:
    return json_response(
        {
            "key_id": principal.key_id,
            "role": principal.role.value,
            "name": principal.name,
            "facility": principal.facility,
        }
    )


@router.post(
    "/decode",
    summary="Read the barcodes in one camera frame (JPEG or PNG body), for browsers without BarcodeDetector",
    description=(
        "Scanner keys only. Send the frame's bytes as `image/jpeg` or `image/png` (anything else is a 415, too "
        "large a frame a 413); it answers the text and format of each barcode found, none when there is none."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in FRAME_TYPES},
        }
    },
    response_model=DecodedFrameOut,
    responses=errors(KEY, 413, 415, notes={413: "The frame is too large", 415: "Not JPEG or PNG"}),
)
async def decode_barcodes(request: Request, _: ScannerDep, settings: SettingsDep) -> Response:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in FRAME_TYPES:
        raise UnsupportedMediaType("Send the frame as image/jpeg or image/png.", field="content-type")
    length = request.headers.get("content-length")
    if length is not None and length.isascii() and length.isdigit() and int(length) > settings.decode_max_bytes:
        raise PayloadTooLarge(f"A frame is at most {settings.decode_max_bytes} bytes.")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > settings.decode_max_bytes:
            raise PayloadTooLarge(f"A frame is at most {settings.decode_max_bytes} bytes.")
    found = await asyncio.to_thread(decode_frame, bytes(data))
    return json_response({"barcodes": [{"text": b.text, "format": b.format} for b in found]})
