"""A merchant's settings and API keys, for its people (merchant and admin staff sessions) and its systems
(merchant and admin keys): the name customers see, its logo, the support contact, keys created (shown once) and
revoked.
Every change is audited; the console's settings pages use the same use cases (services/console/settings.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from ordertrail.api.documents.notifying import (
    MerchantKeyListOut,
    MerchantKeySecretOut,
    MerchantListOut,
    MerchantSettingsOut,
    WeeklyReportOut,
)
from ordertrail.api.json_bodies import JSON_BODY
from ordertrail.api.responses import BODY, KEY, WRITES, errors
from ordertrail.api.schemas.notifying import MerchantKeyCreate, MerchantSettingsPatch, WeeklyReportPut
from ordertrail.domain.accounts.keys import ApiKey
from ordertrail.domain.accounts.merchant_settings import LOGO_EXTENSIONS, MAX_LOGO_BYTES, MerchantSettings
from ordertrail.domain.errors import InvalidInput
from ordertrail.http.deps import ServicesDep, SettingsDep, json_response
from ordertrail.http.staff import ReaderDep
from ordertrail.services.console import settings as settings_service

router = APIRouter(prefix="/api/v1/merchants", tags=["accounts"])
NOT_YOURS = {404: "No merchant of yours has that id"}
# merchant.id and api_key.id are 32-bit columns: a larger id is a 422 naming the parameter, never a driver error.
MerchantId = Annotated[int, Path(ge=1, le=2**31 - 1)]
WHO = (
    "Merchant keys and merchant staff sessions (their own merchant), admin keys and admin staff sessions (every "
    "merchant); a session's unsafe request needs `X-CSRF-Token`. "
)


def settings_view(found: MerchantSettings, public_base_url: str) -> dict[str, Any]:
    logo = found.logo
    return {
        "id": found.id,
        "name": found.name,
        "display_name": found.display_name,
        "shown_name": found.shown_name,
        "support_email": found.support_email,
        "support_url": found.support_url,
        "logo": None
        if logo is None
        else {
            "url": public_base_url.rstrip("/") + logo.path,
            "media_type": logo.media_type,
            "width": logo.width,
            "height": logo.height,
            "size": logo.size,
            "sha256": logo.sha256,
        },
    }


def key_view(key: ApiKey, plaintext: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": key.id,
        "name": key.name,
        "display_prefix": key.display_prefix,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }
    if plaintext is not None:
        view["key"] = plaintext  # shown this once
    return view


@router.get(
    "",
    summary="The merchants whose settings the caller manages",
    description=WHO + "Support and viewer staff, operations staff and scanner keys get 403.",
    response_model=MerchantListOut,
    responses=errors(KEY),
)
async def list_merchant_settings(reader: ReaderDep, services: ServicesDep, settings: SettingsDep) -> Response:
    found = await settings_service.managed_merchants(services, reader)
    return json_response({"merchants": [settings_view(m, settings.public_base_url) for m in found]})


@router.get(
    "/{merchant_id}",
    summary="A merchant's settings: the name customers see and the support contact",
    description=WHO + "Another merchant answers 404.",
    response_model=MerchantSettingsOut,
    responses=errors(KEY, 404, 422, notes=NOT_YOURS),
)
async def get_merchant_settings(
    merchant_id: MerchantId, reader: ReaderDep, services: ServicesDep, settings: SettingsDep
) -> Response:
    found = await settings_service.settings_of(services, reader, merchant_id)
    return json_response(settings_view(found, settings.public_base_url))


@router.patch(
    "/{merchant_id}",
    summary="Change the name customers see or the support contact (audited)",
    description=WHO
    + "Only the fields sent change; an empty string or null clears one (customers then see the merchant's own "
    "name). Idempotent: the same body again changes nothing and writes no audit entry.",
    dependencies=[JSON_BODY],
    response_model=MerchantSettingsOut,
    responses=errors(KEY, BODY, WRITES, 404, notes=NOT_YOURS),
)
async def update_merchant_settings(
    merchant_id: MerchantId,
    body: MerchantSettingsPatch,
    reader: ReaderDep,
    services: ServicesDep,
    settings: SettingsDep,
) -> Response:
    given = body.model_dump(include=body.model_fields_set)
    changed = await settings_service.change_settings(services, reader, merchant_id, **given)
    return json_response(settings_view(changed, settings.public_base_url))


LOGO_RULES = (
    f"PNG or JPEG only (an SVG can carry script), at most {MAX_LOGO_BYTES // 1024} KiB, 16 to 2048 pixels a side; "
    "what the image is comes from decoding it, whatever its Content-Type says, and a file that does not decode to "
    "the end (truncated, corrupt) is refused. "
)


@router.put(
    "/{merchant_id}/logo",
    summary="Set the merchant's logo, shown on the tracking page and in customer emails (audited)",
    description=WHO
    + "Send the image's bytes as the body, e.g. `curl -X PUT --data-binary @logo.png -H 'Content-Type: image/png' "
    "-H 'Authorization: Bearer …' https://track.example.com/api/v1/merchants/1/logo`. "
    + LOGO_RULES
    + "Anything else is a 422 naming `logo`, and the logo stays as it was. The answer is the merchant's settings: "
    "`logo.url` is a public address that changes with the image (served with year-long caching). Idempotent: the "
    "same image again changes nothing and writes no audit entry, so a retry needs no Idempotency-Key.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in LOGO_EXTENSIONS},
        }
    },
    response_model=MerchantSettingsOut,
    responses=errors(KEY, 404, 413, 422, WRITES, notes={**NOT_YOURS, 422: "Not a PNG or JPEG logo within the limits"}),
)
async def set_merchant_logo(
    merchant_id: MerchantId, request: Request, reader: ReaderDep, services: ServicesDep, settings: SettingsDep
) -> Response:
    too_large = InvalidInput(f"A logo is at most {MAX_LOGO_BYTES // 1024} KiB; this one is larger.", field="logo")
    length = request.headers.get("content-length")
    if length is not None and length.isascii() and length.isdigit() and int(length) > MAX_LOGO_BYTES:
        raise too_large
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_LOGO_BYTES:
            raise too_large
    changed = await settings_service.set_logo(services, reader, merchant_id, bytes(data))
    return json_response(settings_view(changed, settings.public_base_url))


@router.delete(
    "/{merchant_id}/logo",
    summary="Remove the merchant's logo (audited)",
    description=WHO + "Customers then see the shop's name alone. Removing a logo that is not there changes nothing.",
    response_model=MerchantSettingsOut,
    responses=errors(KEY, 404, 422, WRITES, notes=NOT_YOURS),
)
async def remove_merchant_logo(
    merchant_id: MerchantId, reader: ReaderDep, services: ServicesDep, settings: SettingsDep
) -> Response:
    changed = await settings_service.remove_logo(services, reader, merchant_id)
    return json_response(settings_view(changed, settings.public_base_url))


@router.get(
    "/{merchant_id}/weekly-report",
    summary="Whether the merchant receives the weekly report, and at which addresses",
    description=WHO + "Another merchant answers 404.",
    response_model=WeeklyReportOut,
    responses=errors(KEY, 404, 422, notes=NOT_YOURS),
)
async def get_weekly_report(merchant_id: MerchantId, reader: ReaderDep, services: ServicesDep) -> Response:
    found = await settings_service.weekly_report_of(services, reader, merchant_id)
    return json_response({"enabled": found.enabled, "recipients": found.recipients})


@router.put(
    "/{merchant_id}/weekly-report",
    summary="Turn the weekly report on or off and set who receives it (audited)",
    description=WHO
    + "The weekly report (docs/analytics.md) is an email of the last full week's headline figures. Idempotent: "
    "the same body again changes nothing and writes no audit entry. `recipients` must hold at least one address "
    "when `enabled`.",
    dependencies=[JSON_BODY],
    response_model=WeeklyReportOut,
    responses=errors(KEY, BODY, WRITES, 404, notes=NOT_YOURS),
)
async def set_weekly_report(
    merchant_id: MerchantId, body: WeeklyReportPut, reader: ReaderDep, services: ServicesDep
) -> Response:
    changed = await settings_service.change_weekly_report(
        services, reader, merchant_id, enabled=body.enabled, recipients=" ".join(body.recipients)
    )
    return json_response({"enabled": changed.enabled, "recipients": changed.recipients})


@router.get(
    "/{merchant_id}/keys",
    summary="A merchant's API keys, live and revoked (never the keys themselves)",
    description=WHO + "Another merchant answers 404.",
    response_model=MerchantKeyListOut,
    responses=errors(KEY, 404, 422, notes=NOT_YOURS),
)
async def list_merchant_keys(merchant_id: MerchantId, reader: ReaderDep, services: ServicesDep) -> Response:
    found = await settings_service.keys_of(services, reader, merchant_id)
    return json_response({"keys": [key_view(k) for k in found]})


@router.post(
    "/{merchant_id}/keys",
    status_code=201,
    summary="Create a merchant API key; the answer carries the key, shown once (audited)",
    description=WHO
    + "Not idempotent: a retry creates a second key, so list the keys before creating again (and revoke the one "
    "whose answer was lost).",
    dependencies=[JSON_BODY],
    response_model=MerchantKeySecretOut,
    responses=errors(KEY, BODY, WRITES, 404, notes=NOT_YOURS),
)
async def create_merchant_key(
    merchant_id: MerchantId, body: MerchantKeyCreate, reader: ReaderDep, services: ServicesDep
) -> Response:
    created = await settings_service.create_key(services, reader, merchant_id, name=body.name)
    return json_response(key_view(created.key, created.plaintext), 201)


@router.delete(
    "/{merchant_id}/keys/{key_id}",
    status_code=204,
    summary="Revoke one of the merchant's keys, at once (audited)",
    description=WHO
    + "The key gets 401 from its next request on, in every server process. Revoking a revoked key, or another "
    "merchant's, answers 404.",
    response_class=Response,
    responses=errors(KEY, 404, 422, WRITES, notes={404: "No live key of that merchant has that id"}),
)
async def revoke_merchant_key(
    merchant_id: MerchantId,
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    reader: ReaderDep,
    services: ServicesDep,
) -> Response:
    await settings_service.revoke_key(services, reader, merchant_id, key_id)
    return Response(status_code=204)
