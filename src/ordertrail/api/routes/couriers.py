"""Couriers: handing a parcel over to one (merchant and admin keys, scoped like every parcel route), the events
couriers post (signed with Standard Webhooks, one secret per courier integration), and creating integrations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from ordertrail.api import json_bodies
from ordertrail.api.documents.couriers import CourierEventsOut, HandoverOut, HandoversOut, IntegrationOut
from ordertrail.api.idempotency import replayed_headers
from ordertrail.api.json_bodies import JSON_BODY
from ordertrail.api.responses import BODY, KEY, PUBLIC, WRITES, errors
from ordertrail.api.schemas.couriers import (
    AggregatorWebhookIn,
    CourierEventBatchIn,
    CourierEventIn,
    HandoverIn,
    HandoverItemIn,
    IntegrationIn,
)
from ordertrail.domain.console.notes import idempotency_key
from ordertrail.domain.couriers.aggregators import READERS
from ordertrail.domain.couriers.events import CourierEvent
from ordertrail.domain.couriers.handover import Handover
from ordertrail.domain.errors import FieldProblem, InvalidInput, PayloadTooLarge
from ordertrail.domain.scanning.scans import Outcome
from ordertrail.http.deps import AdminDep, ServicesDep, SettingsDep, json_response
from ordertrail.http.problems import field_problems
from ordertrail.http.staff import ReaderDep
from ordertrail.services.console import bulk_handover, handing_over
from ordertrail.services.context import Services
from ordertrail.services.couriers import events as event_service
from ordertrail.services.couriers import integrations as integration_service
from ordertrail.storage.couriers.integrations import Integration

router = APIRouter(prefix="/api/v1", tags=["couriers"])


def handover_document(handover: Handover) -> dict[str, Any]:
    return {
        "courier": handover.courier,
        "courier_name": handover.courier_name,
        "tracking_number": handover.tracking_number,
        "service_level": handover.service_level,
        "tracking_url": handover.tracking_url,
        "recognised": handover.recognised,
        "handed_over_at": handover.handed_over_at.isoformat(),
    }


@router.post(
    "/parcels/{tracking_number}/handover",
    summary="Hand a parcel to a courier (replaces an earlier handover)",
    description=(
        "Merchant and admin keys, or a staff session that may handle exceptions; another merchant's parcel answers "
        "404. The courier's events for its tracking number then join the parcel's timeline (`POST /api/v1/"
        "carrier-events`); a courier number another parcel has is a 409. Safe to retry: the same courier and "
        "number again keep the first handover's time and reconciliation (docs/couriers.md); audited."
    ),
    dependencies=[JSON_BODY],
    response_model=HandoverOut,
    responses=errors(
        KEY,
        BODY,
        404,
        409,
        WRITES,
        notes={
            404: "Unknown, malformed or another merchant's number (the same answer)",
            409: "Another parcel has this courier's tracking number",
        },
    ),
)
async def hand_over_parcel(
    tracking_number: str, body: HandoverIn, reader: ReaderDep, services: ServicesDep
) -> Response:
    handover = await handing_over.hand_over(
        services,
        reader,
        tracking_number=tracking_number,
        courier=body.courier,
        courier_tracking_number=body.tracking_number,
        service_level=body.service_level,
        tracking_url=body.tracking_url,
    )
    return json_response(handover_document(handover))


@router.post(
    "/handovers",
    summary="Hand parcels to couriers in bulk (up to 1,000); each answered in its place; audited",
    description=(
        "The single handover's rules, item by item (`POST /api/v1/parcels/{tracking_number}/handover`): merchant and "
        "admin keys or staff who handle exceptions; another merchant's parcel is `not_found` like an unknown one; a "
        "refused item is `invalid` with its fields named `handovers.<n>.<field>` (a courier number another parcel "
        "has: `courier_tracking_number`), and the others are still handed over; the same handover again is "
        "`unchanged`. One transaction. With an `Idempotency-Key`, a retry answers with the first answer and "
        "`Idempotent-Replayed: true`."
    ),
    openapi_extra={"x-body-model": "HandoverBatchIn"},
    response_model=HandoversOut,
    responses=errors(
        KEY,
        BODY,
        409,
        WRITES,
        notes={
            403: "A role that does not handle exceptions, or a session's request without its CSRF token",
            409: "The Idempotency-Key was already used for another request",
            422: "No `handovers` array, an empty one or one of more than 1,000",
        },
    ),
)
async def hand_over_parcels(
    request: Request,
    reader: ReaderDep,
    services: ServicesDep,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Send the same key with a retry: the batch acts once, and the retry gets its answer.",
        ),
    ] = None,
) -> Response:
    document = json_bodies.loads(await request.body())
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("handovers"), list)
        or set(document) != {"handovers"}
    ):
        raise InvalidInput("The body must be an object with exactly a 'handovers' array.", field="handovers")
    items = [_handover_item(index, item) for index, item in enumerate(document["handovers"])]
    batch = await bulk_handover.hand_over_all(services, reader, items, key=idempotency_key(key))
    headers = replayed_headers(batch.replayed)
    return json_response(batch.document(), headers=headers)


def _handover_item(index: int, item: Any) -> bulk_handover.Item:
    try:
        parsed = HandoverItemIn.model_validate(item)
    except ValidationError as error:
        number = item.get("tracking_number") if isinstance(item, dict) else None
        problems = tuple(FieldProblem(f"handovers.{index}.{p.field}", p.reason) for p in field_problems(error))
        return bulk_handover.ItemResult(index, number if isinstance(number, str) else None, "invalid", errors=problems)
    return bulk_handover.HandoverItem(
        tracking_number=parsed.tracking_number,
        courier=parsed.courier,
        courier_tracking_number=parsed.courier_tracking_number,
        service_level=parsed.service_level,
        tracking_url=parsed.tracking_url,
    )


@router.post(
    "/courier-integrations",
    status_code=201,
    summary="Create a courier integration (admin keys)",
    description=(
        "The answer carries the integration's `id` and its signing `secret`: give both to the courier, who signs "
        "`POST /api/v1/carrier-events?integration=<id>` with it. With a `source` of `karrio`, `easypost` or "
        "`aftership` it receives that aggregator's webhooks at `POST /api/v1/carrier-events/<source>?integration=<id>`"
        " (AfterShip and Karrio make the secret: pass it as `secret`). Not idempotent: a retry creates another "
        "integration."
    ),
    dependencies=[JSON_BODY],
    response_model=IntegrationOut,
    responses=errors(KEY, BODY, WRITES),
)
async def create_courier_integration(body: IntegrationIn, _: AdminDep, services: ServicesDep) -> Response:
    created = await integration_service.create_integration(
        services, courier=body.courier, name=body.name, source=body.source, secret=body.secret
    )
    document = {
        "id": created.id,
        "courier": created.courier,
        "name": created.name,
        "secret": created.secret,
        "source": created.source,
    }
    return json_response(document, 201)


@router.post(
    "/carrier-events",
    summary="Courier events, batched, signed with the integration's secret (Standard Webhooks)",
    description=(
        "Needs no API key: the `integration` query parameter names the courier integration, whose secret must sign "
        "the raw body in Standard Webhooks headers (else 401, nothing recorded). Each event is judged on its own "
        "and recorded like a scan, so a retried batch records nothing twice (events stored already answer "
        "`duplicate`); at most `ORDERTRAIL_MAX_BATCH_SCANS` events, or 413."
    ),
    # No API key: the Standard Webhooks signature of the integration's secret authenticates the sender.
    openapi_extra={"x-body-model": "CourierEventBatchIn", **PUBLIC},
    response_model=CourierEventsOut,
    responses=errors(
        401, BODY, WRITES, notes={401: "Unknown integration or a signature that does not verify: nothing recorded"}
    ),
)
async def record_carrier_events(
    request: Request,
    services: ServicesDep,
    settings: SettingsDep,
    # Ids are 32-bit in the store: anything outside is no integration (a 422, not a database error).
    integration: Annotated[
        int, Query(ge=1, le=2**31 - 1, description="The courier integration's id (its secret signs the request)")
    ],
) -> Response:
    body = await request.body()
    # The signature covers the exact bytes: verified before anything in the body is read.
    verified = await event_service.verified_integration(
        services, integration_id=integration, body=body, headers=request.headers
    )
    document = json_bodies.loads(body)
    if not isinstance(document, dict) or not isinstance(document.get("events"), list) or set(document) != {"events"}:
        raise InvalidInput("The body must be an object with exactly an 'events' array.", field="events")
    items: list[Any] = document["events"]
    _check_size(len(items), settings.max_batch_scans)
    parsed = [_parse(index, item, verified.courier) for index, item in enumerate(items)]
    return await _record(services, verified, parsed)


@router.post(
    "/carrier-events/{aggregator}",
    summary="An aggregator's tracking webhook (Karrio, EasyPost, AfterShip), verified with its own signature",
    description=(
        "Needs no API key: `integration` names a courier integration of this aggregator, whose secret must sign the "
        "raw body in the aggregator's own header (Karrio `X-Karrio-Signature`, EasyPost `X-Hmac-Signature`, "
        "AfterShip `aftership-hmac-sha256`), else 401 and nothing recorded. The body is the aggregator's webhook "
        "document as it sends it: a Karrio `tracker.*` notification, an EasyPost `tracker.updated` Event or an "
        "AfterShip `tracking_update`; other kinds are answered with no results. Each of the tracker's events is "
        "recorded like one of `POST /api/v1/carrier-events`, in order, so the history an aggregator resends answers "
        "`duplicate`; an event of another courier than the integration's is `invalid` (field `carrier`)."
    ),
    openapi_extra={"x-body-model": "AggregatorWebhookIn", **PUBLIC},
    response_model=CourierEventsOut,
    responses=errors(
        401, BODY, WRITES, notes={401: "Unknown integration or a signature that does not verify: nothing recorded"}
    ),
)
async def record_aggregator_events(
    aggregator: Annotated[
        Literal["karrio", "easypost", "aftership"], Path(description="The aggregator that sends the webhook")
    ],
    request: Request,
    services: ServicesDep,
    settings: SettingsDep,
    integration: Annotated[
        int, Query(ge=1, le=2**31 - 1, description="The courier integration's id (its secret signs the request)")
    ],
) -> Response:
    body = await request.body()
    verified = await event_service.verified_integration(
        services, integration_id=integration, body=body, headers=request.headers, source=aggregator
    )
    foreign = READERS[aggregator](json_bodies.loads(body))
    _check_size(len(foreign), settings.max_batch_scans)
    registry = event_service.shipped_registry()
    parsed: list[CourierEvent | dict[str, Any]] = []
    for index, event in enumerate(foreign):
        if registry.courier_of(aggregator, event.carrier) != verified.courier:
            reason = f"{event.carrier!r} is not this integration's courier ({verified.courier})"
            parsed.append(_refused(event.item, [FieldProblem("carrier", reason)], index))
        else:
            parsed.append(_parse(index, event.item, verified.courier, event.vocabulary))
    return await _record(services, verified, parsed)


def _check_size(count: int, limit: int) -> None:
    if count > limit:
        raise PayloadTooLarge(f"A batch holds at most {limit} events; this one has {count}.")


async def _record(services: Services, verified: Integration, parsed: list[CourierEvent | dict[str, Any]]) -> Response:
    valid = [p for p in parsed if isinstance(p, CourierEvent)]
    recorded = iter(
        await event_service.record_courier_events(services, verified, valid, registry=event_service.shipped_registry())
    )
    results = [_result(index, next(recorded)) if isinstance(p, CourierEvent) else p for index, p in enumerate(parsed)]
    counts = {outcome.value: 0 for outcome in Outcome}
    for result in results:
        counts[result["outcome"]] += 1
    return json_response({"results": results, "counts": counts})


def _parse(index: int, item: Any, courier: str, vocabulary: str | None = None) -> CourierEvent | dict[str, Any]:
    try:
        return CourierEventIn.model_validate(item).to_event(courier, vocabulary)
    except ValidationError as error:
        return _refused(item, field_problems(error), index)


def _refused(item: Any, problems: list[FieldProblem], index: int) -> dict[str, Any]:
    own_id = item.get("id") if isinstance(item, dict) else None
    return {
        "id": own_id if isinstance(own_id, str) else None,
        "outcome": Outcome.INVALID.value,
        "errors": [{"field": f"events.{index}.{p.field}", "reason": p.reason} for p in problems],
    }


def _result(index: int, result: event_service.CourierResult) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": result.event.courier_event_id,
        "event_id": result.event.event_id,
        "outcome": result.outcome.value,
        "code": result.event.code,
        "mapped": result.mapped,
        "sequence": result.sequence,
    }
    if result.problems:
        document["errors"] = [{"field": f"events.{index}.{p.field}", "reason": p.reason} for p in result.problems]
    return document


__all__ = ["AggregatorWebhookIn", "CourierEventBatchIn", "router"]
