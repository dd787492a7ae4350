"""A parcel's detail page (its one timeline, its order, the customer's contact where the role may see it) and
the form that adds an internal note.

The form carries the session's CSRF token and a fresh Idempotency-Key per rendering, so a double-click or a
re-posted form writes the note once.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from ordertrail.domain.console.handling import MAX_WHAT
from ordertrail.domain.console.notes import MAX_MESSAGE
from ordertrail.domain.console.timeline import ActionItem
from ordertrail.domain.errors import Conflict, Forbidden, InvalidInput, ParcelNotFound
from ordertrail.domain.notifying.messages import MESSAGE_MAX
from ordertrail.domain.orders.cancelling import cancel_refusal
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.staff import tokens
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console import detail, notes
from ordertrail.services.console.detail import ParcelDetail
from ordertrail.services.staff.sessions import StaffSession
from ordertrail.web.console.common import PREFIX, forbidden, page, staff_form, staff_reader
from ordertrail.web.console.timeline_view import row
from ordertrail.web.deps import ServicesDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)

NOT_FOUND = "No parcel with that tracking number among those you can see."


@router.get("/parcels/{tracking_number}")
async def parcel_page(tracking_number: str, request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    try:
        found = await detail.parcel_detail(services, reader, tracking_number)
    except ParcelNotFound:
        return page("console/refused.html", session, {"message": NOT_FOUND}, status_code=404)
    return detail_page(session, found, done=request.query_params.get("done"))


@router.post("/parcels/{tracking_number}/notes")
async def add_note(
    tracking_number: str,
    request: Request,
    services: ServicesDep,
    message: Annotated[str, Form(max_length=20_000)] = "",
    idempotency_key: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    signed = await staff_form(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    try:
        await notes.add_note(
            services, reader, tracking_number=tracking_number, message=message, idempotency_key=idempotency_key
        )
    except Forbidden as error:
        return forbidden(session, error)
    except ParcelNotFound:
        return page("console/refused.html", session, {"message": NOT_FOUND}, status_code=404)
    except InvalidInput as error:
        # The text is checked before the parcel is looked up: the page shown again may still be one not to show.
        try:
            found = await detail.parcel_detail(services, reader, tracking_number)
        except ParcelNotFound:
            return page("console/refused.html", session, {"message": NOT_FOUND}, status_code=404)
        return detail_page(session, found, error=error.detail, draft=message, status_code=422)
    except Conflict as error:
        return page("console/refused.html", session, {"message": error.detail}, status_code=409)
    # Post/redirect/get: a reload shows the page (with the note on its timeline), never posts again.
    number = detail.canonical_number(tracking_number)
    return RedirectResponse(f"{PREFIX}/parcels/{number}?done=note#timeline", status_code=303)


# What the page says after an action redirected back to it (``?done=…``); anything else says nothing.
DONE_TEXTS = {
    "note": "Note added.",
    "message": "Message sent to the customer.",
    "cancelled": "Parcel cancelled.",
    "order_cancelled": "Order cancelled: every parcel of it.",
    "handled": "Exception marked handled.",
    "handed_over": "Handed to the courier.",
    "resent_email": "The email is queued to be sent again.",
    "resent_webhook": "The webhooks are queued to be sent again.",
    "voided": "Scan voided.",
    "scanned": "Scan recorded by hand.",
    "recipient": "Recipient corrected.",
}


# A parcel past these is no longer anyone's to hand over (it arrived, came back or was cancelled).
HANDOVER_CLOSED = frozenset({Status.DELIVERED, Status.RETURNED, Status.CANCELLED})


def _handled(found: ParcelDetail) -> bool:
    """Whether the parcel's current exception has its handling: an audit entry on its timeline for its status
    version (domain/console/handling.py)."""
    version = found.parcel.state.status_version
    return any(
        isinstance(item, ActionItem)
        and item.entry.action == Action.EXCEPTION_HANDLED
        and item.entry.detail.get("status_version") == version
        for item in found.timeline
    )


def _sibling_statuses(document: dict[str, Any]) -> list[str]:
    return [str(other["status"]) for other in document["order"]["other_parcels"]]


def detail_page(
    session: StaffSession,
    found: ParcelDetail,
    *,
    done: str | None = None,
    error: str | None = None,
    draft: str = "",
    form: str = "note",
    status_code: int = 200,
) -> Response:
    """The page, after a form's error (``form`` names which form it belongs to) or a done action."""
    document = found.document()
    status = Status(document["status"])
    context: dict[str, Any] = {
        "parcel": document,
        "order": document["order"],
        "timeline": [row(entry) for entry in document["timeline"]],
        "may_note": session.user.may(Permission.NOTE),
        "may_cancel": session.user.may(Permission.CANCEL)
        and status is not Status.CANCELLED
        and cancel_refusal(status) is None,
        "may_handle": session.user.may(Permission.HANDLE) and status is Status.EXCEPTION and not _handled(found),
        "may_hand_over": session.user.may(Permission.HANDLE) and status not in HANDOVER_CLOSED,
        "handover": found.handover,
        "handle_key": tokens.new_secret(),
        # Void, record a scan, correct the recipient: the cancel permission ("cancel, void, correct").
        "may_fix": session.user.may(Permission.CANCEL),
        "may_correct": session.user.may(Permission.CANCEL)
        and all(s != Status.DELIVERED.value for s in [document["status"], *_sibling_statuses(document)]),
        "fix_key": tokens.new_secret(),
        "scan_statuses": [s.value for s in Status if s is not Status.ORDER_PLACED],
        "versions": document["recipient_versions"],
        "resend_key": tokens.new_secret(),
        "max_handled": MAX_WHAT,
        "note_key": tokens.new_secret(),
        "max_message": MAX_MESSAGE,
        "max_customer_message": MESSAGE_MAX,
        "done": DONE_TEXTS.get(done or ""),
        "error": error,
        "error_form": form if error else None,
        "draft": draft,
    }
    return page("console/parcel.html", session, context, status_code=status_code)
