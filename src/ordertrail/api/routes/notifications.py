"""A merchant's notification settings, and customers' one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import HTMLResponse, Response

from ordertrail.api.documents.notifying import NotificationSettingsOut
from ordertrail.api.json_bodies import JSON_BODY
from ordertrail.api.responses import BODY, KEY, PUBLIC, WRITES, errors
from ordertrail.api.schemas.common import plain
from ordertrail.api.schemas.notifying import NotificationSettingsIn
from ordertrail.domain.notifying.policy import Preferences
from ordertrail.domain.notifying.unsubscribe import read_token
from ordertrail.http.assets import asset_url
from ordertrail.http.deps import MerchantOrAdminDep, SecretKeyDep, ServicesDep, json_response
from ordertrail.services.accounts import merchants as merchant_service
from ordertrail.services.notifying import preferences as preference_service

router = APIRouter(tags=["notifying"])
UNKNOWN_MERCHANT = {404: "The merchant named (admin keys) does not exist"}

MerchantQuery = Annotated[Annotated[str, plain] | None, Query(max_length=100, description="Admin keys: the merchant.")]


def _settings_view(preferences: Preferences) -> dict[str, object]:
    return {
        "customer_statuses": sorted(s.value for s in preferences.customer_statuses),
        "webhooks": preferences.webhooks,
    }


@router.get(
    "/api/v1/notification-settings",
    summary="Which statuses email customers; whether webhooks are sent",
    description=(
        "Merchant keys read their own merchant's settings; admin keys must name one with `?merchant=` (422 without "
        "it, 404 for an unknown one)."
    ),
    response_model=NotificationSettingsOut,
    responses=errors(KEY, 404, 422, notes=UNKNOWN_MERCHANT),
)
async def get_notification_settings(
    principal: MerchantOrAdminDep, services: ServicesDep, merchant: MerchantQuery = None
) -> Response:
    merchant_id = await merchant_service.resolve_merchant(services, principal=principal, merchant=merchant)
    return json_response(_settings_view(await preference_service.get_preferences(services, merchant_id=merchant_id)))


@router.put(
    "/api/v1/notification-settings",
    summary="Change the merchant's notification settings",
    description=(
        "Merchant keys change their own merchant's; admin keys must name one with `?merchant=`. The body replaces "
        "the settings (`webhooks` left out means true) and the answer is what was stored, so a retry is harmless."
    ),
    dependencies=[JSON_BODY],
    response_model=NotificationSettingsOut,
    responses=errors(KEY, BODY, WRITES, 404, notes=UNKNOWN_MERCHANT),
)
async def update_notification_settings(
    body: NotificationSettingsIn, principal: MerchantOrAdminDep, services: ServicesDep, merchant: MerchantQuery = None
) -> Response:
    merchant_id = await merchant_service.resolve_merchant(services, principal=principal, merchant=merchant)
    saved = await preference_service.set_preferences(
        services,
        merchant_id=merchant_id,
        preferences=Preferences(customer_statuses=frozenset(body.customer_statuses), webhooks=body.webhooks),
    )
    return json_response(_settings_view(saved))


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    # Styled by the pages' own stylesheet: the app's CSP (style-src 'self') blocks inline style.
    return HTMLResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
        'content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{asset_url("css/ordertrail.css")}"></head>'
        f'<body><main id="main" class="wrap narrow"><section class="card">'
        f"<h1>{escape(title)}</h1>{body}</section></main></body></html>",
        status_code=status_code,
    )


@router.get("/unsubscribe/{token}", include_in_schema=False)
async def unsubscribe_page(token: str, key: SecretKeyDep) -> Response:
    """A confirmation page: a GET must not unsubscribe (link scanners follow links)."""
    subject = read_token(key, token)
    if subject is None:
        return _page("This link is not valid", "<p>The unsubscribe link is broken or incomplete.</p>", 404)
    return _page(
        "Unsubscribe",
        f"<p>Stop emails about your orders to <strong>{escape(subject.email)}</strong>?</p>"
        f'<form method="post"><button type="submit">Unsubscribe</button></form>',
    )


@router.post(
    "/unsubscribe/{token}",
    summary="One-click unsubscribe (RFC 8058): record it for this address",
    description=(
        "Needs no key: the signed token of the link in the customer's email names the address and the merchant. It "
        "takes the RFC 8058 one-click form body and answers an HTML page, not JSON; a broken link is a 422."
    ),
    response_class=HTMLResponse,
    response_description="A page saying so",
    responses=errors(422, WRITES, notes={422: "The link is not valid"}),
    openapi_extra=PUBLIC,
)
async def unsubscribe_address(token: str, services: ServicesDep, key: SecretKeyDep) -> Response:
    merchant_name = await preference_service.unsubscribe(services, key=key, token=token)
    return _page(
        "You are unsubscribed", f"<p>You will get no more emails about orders from {escape(merchant_name)}.</p>"
    )
