"""Webhook endpoints of merchants: create (the secret is shown once), list, read, delete, rotate, test, log,
replay. The console's settings pages (``/console/settings``) use the same use cases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from ordertrail.api.documents.notifying import (
    DeliveryLogOut,
    ReplayOut,
    TestEventOut,
    WebhookEndpointListOut,
    WebhookEndpointOut,
    WebhookEndpointSecretOut,
)
from ordertrail.api.json_bodies import JSON_BODY
from ordertrail.api.responses import BODY, KEY, WRITES, errors
from ordertrail.api.schemas.common import plain
from ordertrail.api.schemas.notifying import ReplayIn, WebhookEndpointCreate
from ordertrail.domain.notifying.endpoints import Endpoint
from ordertrail.domain.notifying.outbox import LoggedAttempt
from ordertrail.domain.notifying.policy import TEST_EVENT
from ordertrail.http.deps import ServicesDep, SettingsDep, json_response
from ordertrail.http.staff import ReaderDep
from ordertrail.services.console import settings as endpoint_service

router = APIRouter(prefix="/api/v1/webhook-endpoints", tags=["notifying"])
NOT_YOURS = {404: "No endpoint of yours has that id"}
# Ids are 64-bit in the store: anything larger is simply not an endpoint (422, not an overflow).
EndpointId = Annotated[int, Path(ge=1, le=2**62)]


def endpoint_view(endpoint: Endpoint, secret: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "created_at": endpoint.created_at.isoformat(),
        "disabled_at": endpoint.disabled_at.isoformat() if endpoint.disabled_at else None,
        "disabled_reason": endpoint.disabled_reason,
        "rotation_ends_at": endpoint.previous_secret_expires_at.isoformat()
        if endpoint.previous_secret_expires_at
        else None,
    }
    if secret is not None:
        view["secret"] = secret  # shown this once
    return view


def attempt_view(logged: LoggedAttempt) -> dict[str, Any]:
    attempt = logged.attempt
    return {
        "id": logged.id,
        "message_id": logged.message_id,
        "event_type": logged.event_type,
        "attempted_at": attempt.attempted_at.isoformat(),
        "status_code": attempt.status_code,
        "duration_ms": attempt.duration_ms,
        "response_body": attempt.response_body,
        "error": attempt.error,
        "succeeded": attempt.succeeded,
        "message_state": logged.message_state,
        "next_attempt_at": logged.next_attempt_at.isoformat() if logged.next_attempt_at else None,
    }


@router.post(
    "",
    status_code=201,
    summary="Register an endpoint; the response carries its secret, shown once",
    description=(
        "Merchant and admin keys and staff sessions (an admin key names the merchant with `merchant`). Not idempotent: "
        "a retry registers a second endpoint, so list the endpoints before registering again; keep the secret, it is "
        "the only time it is shown."
    ),
    dependencies=[JSON_BODY],
    response_model=WebhookEndpointSecretOut,
    response_description="The endpoint, with its signing secret (Location: the endpoint's URL)",
    responses=errors(KEY, BODY, WRITES, 404, notes={404: "The merchant named (admin keys) does not exist"}),
)
async def create_webhook_endpoint(
    body: WebhookEndpointCreate, reader: ReaderDep, services: ServicesDep, settings: SettingsDep
) -> Response:
    merchant_id = await endpoint_service.merchant_for(services, reader, body.merchant)
    created = await endpoint_service.create_endpoint(
        services,
        reader,
        merchant_id,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        allow_private=settings.webhook_allow_private,
        ports=settings.notifying.webhook_ports,
    )
    return json_response(
        endpoint_view(created.endpoint, created.secret),
        201,
        headers={"Location": f"/api/v1/webhook-endpoints/{created.endpoint.id}"},
    )


@router.get(
    "",
    summary="The caller's endpoints (admins: all, or ?merchant=)",
    description=(
        "Merchant and admin keys and staff sessions; a merchant key always gets its own endpoints. Not paginated: "
        "every endpoint comes in one answer, without its secret."
    ),
    response_model=WebhookEndpointListOut,
    responses=errors(KEY, 404, 422, notes={404: "The merchant named does not exist"}),
)
async def list_webhook_endpoints(
    reader: ReaderDep,
    services: ServicesDep,
    merchant: Annotated[Annotated[str, plain] | None, Query(max_length=100)] = None,
) -> Response:
    merchant_id = await endpoint_service.merchant_for(services, reader, merchant) if merchant else None
    found = await endpoint_service.endpoints_of(services, reader, merchant_id)
    return json_response({"webhook_endpoints": [endpoint_view(e) for e in found]})


@router.get(
    "/{endpoint_id}",
    summary="One endpoint",
    description=(
        "Merchant and admin keys and staff sessions; another merchant's endpoint answers 404. The secret is never "
        "shown again (rotate it for a new one); `disabled_at` and `disabled_reason` say if deliveries stopped."
    ),
    response_model=WebhookEndpointOut,
    responses=errors(KEY, 404, 422, notes=NOT_YOURS),
)
async def get_webhook_endpoint(endpoint_id: EndpointId, reader: ReaderDep, services: ServicesDep) -> Response:
    return json_response(endpoint_view(await endpoint_service.endpoint(services, reader, endpoint_id)))


@router.delete(
    "/{endpoint_id}",
    status_code=204,
    summary="Delete an endpoint; undelivered messages are held",
    description=(
        "Merchant and admin keys and staff sessions; another merchant's endpoint answers 404. Answers 204 and marks "
        "its undelivered messages dead (reason: endpoint deleted), so no more deliveries are attempted."
    ),
    response_class=Response,
    responses=errors(KEY, 404, 422, WRITES, notes=NOT_YOURS),
)
async def delete_webhook_endpoint(endpoint_id: EndpointId, reader: ReaderDep, services: ServicesDep) -> Response:
    await endpoint_service.delete_endpoint(services, reader, endpoint_id)
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/rotate-secret",
    summary="A new secret (shown once); the old one signs too for 24 h",
    description=(
        "Merchant and admin keys and staff sessions. Not idempotent: every call makes a new secret and keeps only the "
        "one before it, so after a retry of a lost answer the original secret stops signing at once; "
        "`rotation_ends_at` says when the previous one stops."
    ),
    response_model=WebhookEndpointSecretOut,
    responses=errors(KEY, 404, 422, WRITES, notes=NOT_YOURS),
)
async def rotate_webhook_secret(endpoint_id: EndpointId, reader: ReaderDep, services: ServicesDep) -> Response:
    rotated = await endpoint_service.rotate_secret(services, reader, endpoint_id)
    return json_response(endpoint_view(rotated.endpoint, rotated.secret))


@router.post(
    "/{endpoint_id}/test",
    status_code=202,
    summary="Send the endpoint a signed webhook.test event now (through the outbox: retried, in the delivery log)",
    description=(
        "Merchant and admin keys and staff sessions; a disabled endpoint is a 409 (replaying its messages re-enables "
        "it). Every call queues a new message: find it by the returned `message_id` in the delivery log."
    ),
    response_model=TestEventOut,
    responses=errors(KEY, 404, 409, 422, WRITES, notes={**NOT_YOURS, 409: "The endpoint is disabled"}),
)
async def send_webhook_test_event(endpoint_id: EndpointId, reader: ReaderDep, services: ServicesDep) -> Response:
    message_id = await endpoint_service.send_test_event(services, reader, endpoint_id)
    return json_response({"message_id": message_id, "event_type": TEST_EVENT}, 202)


@router.get(
    "/{endpoint_id}/deliveries",
    summary="The endpoint's delivery log, newest attempt first",
    description=(
        "Merchant and admin keys and staff sessions; another merchant's endpoint answers 404. Pass `next_before` back "
        "as `before` until it is null (`limit` 1–500, default 100)."
    ),
    response_model=DeliveryLogOut,
    responses=errors(KEY, 404, 422, notes=NOT_YOURS),
)
async def list_webhook_deliveries(
    endpoint_id: EndpointId,
    reader: ReaderDep,
    services: ServicesDep,
    before: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Cursor: the last id of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    found = await endpoint_service.deliveries(services, reader, endpoint_id, before=before, limit=limit)
    return json_response(
        {
            "deliveries": [attempt_view(a) for a in found],
            "next_before": found[-1].id if len(found) == limit else None,
        }
    )


@router.post(
    "/{endpoint_id}/replay",
    status_code=202,
    summary="Send dead messages again (all, or those named)",
    description=(
        "Merchant and admin keys and staff sessions. Requeues the endpoint's dead messages (all, or the `message_ids` "
        "given) and re-enables a disabled endpoint; `replayed` counts them, and a retry queues only those still dead."
    ),
    dependencies=[JSON_BODY],
    response_model=ReplayOut,
    response_description="Queued for delivery again",
    responses=errors(KEY, BODY, WRITES, 404, notes=NOT_YOURS),
)
async def replay_webhook_messages(
    endpoint_id: EndpointId, reader: ReaderDep, services: ServicesDep, body: ReplayIn | None = None
) -> Response:
    count = await endpoint_service.replay(
        services, reader, endpoint_id, message_ids=body.message_ids if body is not None else None
    )
    return json_response({"replayed": count}, 202)
