"""A parcel's detail and timeline, its internal notes, and marking its exception handled: for API keys (merchant keys:
their own parcels) and staff sessions, with the same rules as the console's page (services/console/detail.py,
notes.py, handling.py), resending its notifications (resending.py), and voiding or recording its scans by hand
(scan_fixes.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from ordertrail.api.documents.console import ExceptionHandledOut, NoteOut, ParcelTimelineOut, ResendOut, ScanFixOut
from ordertrail.api.idempotency import IdempotencyKey, replayed_headers
from ordertrail.api.json_bodies import JSON_BODY
from ordertrail.api.responses import BODY, KEY, WRITES, errors
from ordertrail.api.schemas.console import HandledIn, ManualScanIn, NoteIn, ResendIn, VoidScanIn
from ordertrail.domain.console.notes import idempotency_key
from ordertrail.http.deps import ServicesDep, json_response
from ordertrail.http.staff import ReaderDep
from ordertrail.services.console import detail, handling, notes, resending, scan_fixes

router = APIRouter(prefix="/api/v1", tags=["console"])

NOT_FOUND = "Unknown, malformed or another merchant's number (the same answer)"

TrackingPath = Annotated[str, Path(max_length=40, description="The tracking number (spaces and case do not matter)")]


@router.get(
    "/parcels/{tracking_number}/timeline",
    summary="A parcel's detail and one timeline: scans, estimates, emails, webhooks, staff actions and notes",
    description=(
        "Merchant and admin keys (merchant keys: their own parcels) or a staff session; scanner keys get 403. An "
        "unknown, malformed or another merchant's number answers the same 404."
    ),
    response_model=ParcelTimelineOut,
    responses=errors(KEY, 404, 422, notes={404: NOT_FOUND}),
)
async def get_parcel_timeline(tracking_number: TrackingPath, reader: ReaderDep, services: ServicesDep) -> Response:
    found = await detail.parcel_detail(services, reader, tracking_number)
    return json_response(found.document())


@router.post(
    "/parcels/{tracking_number}/notes",
    status_code=201,
    summary="Add an internal note to a parcel (shown on its timeline, never to customers)",
    description=(
        "Merchant and admin keys, or a staff session other than a viewer. With an `Idempotency-Key`, a retry "
        "answers 201 with the first note and `Idempotent-Replayed: true` instead of adding another; the same key "
        "with a different note is a 409."
    ),
    dependencies=[JSON_BODY],
    response_model=NoteOut,
    responses=errors(
        KEY,
        BODY,
        404,
        409,
        WRITES,
        notes={
            403: "A viewer (read-only role), or a session's request without its CSRF token",
            404: NOT_FOUND,
            409: "The Idempotency-Key was already used for a different note",
        },
    ),
)
async def add_parcel_note(
    tracking_number: TrackingPath,
    body: NoteIn,
    reader: ReaderDep,
    services: ServicesDep,
    key: IdempotencyKey = None,
) -> Response:
    added = await notes.add_note(
        services, reader, tracking_number=tracking_number, message=body.message, idempotency_key=idempotency_key(key)
    )
    headers = replayed_headers(added.replayed)
    return json_response(added.note.document(), 201, headers=headers)


@router.post(
    "/parcels/{tracking_number}/exception/handled",
    status_code=201,
    summary="Mark the parcel's exception handled, saying what was done: it leaves the exceptions queue; audited",
    description=(
        "Merchant and admin keys, or operations, merchant and admin staff (support and viewers get 403). A retry "
        "with the same `Idempotency-Key` (or the same words) answers with the first handling and `Idempotent-"
        "Replayed: true`; a parcel without a current exception, or one someone else marked handled, is a 409."
    ),
    dependencies=[JSON_BODY],
    response_model=ExceptionHandledOut,
    responses=errors(
        KEY,
        BODY,
        404,
        409,
        WRITES,
        notes={
            403: "Support and viewer roles, or a session's request without its CSRF token",
            404: NOT_FOUND,
            409: "The parcel has no exception now, someone else marked it handled, or the Idempotency-Key was used "
            "for another request",
        },
    ),
)
async def mark_exception_handled(
    tracking_number: TrackingPath,
    body: HandledIn,
    reader: ReaderDep,
    services: ServicesDep,
    key: IdempotencyKey = None,
) -> Response:
    done = await handling.mark_handled(
        services, reader, tracking_number=tracking_number, what=body.what_was_done, idempotency_key=idempotency_key(key)
    )
    # A retry (the same words, or the same key) answers with the first handling, marked as a replay (as notes do).
    headers = replayed_headers(done.replayed)
    return json_response(done.document(), 201, headers=headers)


@router.post(
    "/parcels/{tracking_number}/resend",
    status_code=202,
    summary="Resend the customer's email or replay the parcel's webhooks, through the outbox; audited",
    description=(
        "Merchant and admin keys, or a staff session other than a viewer; `channel` is `email` (the newest email) "
        "or `webhook` (every webhook about the parcel), `message_id` narrows it to one. Answers 202 once the copies"
        " are queued; a retry with the same `Idempotency-Key` answers with the first result (`Idempotent-Replayed: "
        "true`) instead of queuing more."
    ),
    dependencies=[JSON_BODY],
    response_model=ResendOut,
    response_description="Queued for delivery (new messages copying the originals)",
    responses=errors(
        KEY,
        BODY,
        404,
        409,
        WRITES,
        notes={
            403: "A viewer (read-only role), or a session's request without its CSRF token",
            404: f"{NOT_FOUND}; or the message_id named is not one of the parcel's",
            409: "Nothing of that channel to resend, or the Idempotency-Key was used for another request",
        },
    ),
)
async def resend_parcel_notifications(
    tracking_number: TrackingPath,
    body: ResendIn,
    reader: ReaderDep,
    services: ServicesDep,
    key: IdempotencyKey = None,
) -> Response:
    done = await resending.resend(
        services,
        reader,
        tracking_number=tracking_number,
        channel=resending.Channel(body.channel),
        message_id=body.message_id,
        idempotency_key=idempotency_key(key),
    )
    headers = replayed_headers(done.replayed)
    return json_response(done.document(), 202, headers=headers)


SCAN_FIX_403 = "Support and viewer roles, scanner keys, or a session's request without its CSRF token"
REPLAY = (
    "A retry with the same `Idempotency-Key` answers 201 with the event recorded the first time and "
    "`Idempotent-Replayed: true`; the same key with another request is a 409."
)


@router.post(
    "/parcels/{tracking_number}/scans/{event_id}/void",
    status_code=201,
    summary="Void a wrong scan: a correction event, as a device's; the status, tracking page and messages follow",
    description=(
        "Merchant and admin keys, or operations, merchant and admin staff (support and viewers get 403). Records a "
        "`correction` event naming the scan (`voids_event_id`), through the scan transaction, and an audit entry "
        f"`parcel.scan_voided`. A scan voided already is a 409. {REPLAY}"
    ),
    dependencies=[JSON_BODY],
    response_model=ScanFixOut,
    responses=errors(
        KEY,
        BODY,
        404,
        409,
        WRITES,
        notes={
            403: SCAN_FIX_403,
            404: NOT_FOUND,
            409: "The scan was voided already, or the Idempotency-Key was used for another request",
            422: "The reason is missing, or the event_id names no scan of the parcel that can be voided",
        },
    ),
)
async def void_parcel_scan(
    tracking_number: TrackingPath,
    event_id: Annotated[str, Path(max_length=36, description="The event_id of the scan to void (its timeline's)")],
    body: VoidScanIn,
    reader: ReaderDep,
    services: ServicesDep,
    key: IdempotencyKey = None,
) -> Response:
    done = await scan_fixes.void_scan(
        services,
        reader,
        tracking_number=tracking_number,
        event_id=event_id,
        reason=body.reason,
        idempotency_key=idempotency_key(key),
    )
    headers = replayed_headers(done.replayed)
    return json_response(done.document(), 201, headers=headers)


@router.post(
    "/parcels/{tracking_number}/scans",
    status_code=201,
    summary="Record a missing scan by hand: flagged manual on the timeline; the parcel follows as for a device's",
    description=(
        "Merchant and admin keys, or operations, merchant and admin staff (support and viewers get 403). The scan "
        "follows a device's rules (status, reason codes, when) and goes through the scan transaction without a "
        "device key, so it is no device's activity; the timeline shows it with `manual: true`, and the audit log "
        f"as `parcel.scan_recorded`. {REPLAY}"
    ),
    dependencies=[JSON_BODY],
    response_model=ScanFixOut,
    responses=errors(
        KEY,
        BODY,
        404,
        409,
        WRITES,
        notes={
            403: SCAN_FIX_403,
            404: NOT_FOUND,
            409: "The Idempotency-Key was used for another request",
        },
    ),
)
async def record_manual_scan(
    tracking_number: TrackingPath,
    body: ManualScanIn,
    reader: ReaderDep,
    services: ServicesDep,
    key: IdempotencyKey = None,
) -> Response:
    done = await scan_fixes.record_manual_scan(
        services,
        reader,
        tracking_number=tracking_number,
        status=body.status,
        reason=body.reason,
        facility=body.facility,
        occurred_at=body.occurred_at,
        note=body.note,
        idempotency_key=idempotency_key(key),
    )
    headers = replayed_headers(done.replayed)
    return json_response(done.document(), 201, headers=headers)
