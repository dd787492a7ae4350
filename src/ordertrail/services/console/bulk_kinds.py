"""What each kind of bulk action needs (its permission and its text) and does to the selected parcels, in the bulk
action's transaction, through the single-parcel transaction functions (so a bulk handling or resend writes exactly
what the parcel page's does, plus the bulk key in each audit entry).

Cancel, handle and resend are all or none: a parcel the action does not apply to (dispatched, not in exception,
already handled, nothing to resend) is named in the refusal and nothing is done, rather than acting on the others
and leaving the person to find out which were skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from ordertrail.domain.console.bulk import BulkKind
from ordertrail.domain.console.handling import what_was_done
from ordertrail.domain.errors import AlreadyHandled, Conflict, Forbidden, InvalidInput, NoException
from ordertrail.domain.notifying.messages import message_problem
from ordertrail.domain.orders.cancelling import reason_problem
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console import cancelling, handling, messages, resending
from ordertrail.services.console.readers import Reader
from ordertrail.services.context import Services

PERMISSION = {
    BulkKind.MESSAGE: Permission.NOTE,
    BulkKind.CANCEL: Permission.CANCEL,
    BulkKind.HANDLE: Permission.HANDLE,
    BulkKind.RESEND_EMAIL: Permission.NOTE,
    BulkKind.RESEND_WEBHOOK: Permission.NOTE,
}
_VERB = {
    BulkKind.MESSAGE: "message customers",
    BulkKind.CANCEL: "cancel",
    BulkKind.HANDLE: "mark exceptions handled",
    BulkKind.RESEND_EMAIL: "resend notifications",
    BulkKind.RESEND_WEBHOOK: "resend notifications",
}
_CHANNEL = {BulkKind.RESEND_EMAIL: resending.Channel.EMAIL, BulkKind.RESEND_WEBHOOK: resending.Channel.WEBHOOK}


class NothingDone(Conflict):
    """Some selected parcels are not ones the action applies to: each is named, and nothing was done."""


def checked(reader: Reader, kind: BulkKind, text: str) -> str:
    """The text as kept. Raises Forbidden (the reader's role may not) and InvalidInput (naming the form's field)."""
    if not reader.may(PERMISSION[kind]):
        raise Forbidden(f"Your role may not {_VERB[kind]}.")
    if kind is BulkKind.HANDLE:
        return what_was_done(text)  # the single action's check: trimmed, line breaks kept, required
    problem = message_problem(text) if kind is BulkKind.MESSAGE else reason_problem(text)
    if problem is not None:
        field = "message" if kind is BulkKind.MESSAGE else "reason"
        raise InvalidInput(f"The {field} cannot be used: {problem}.", field=field)
    return text.strip()


def act_tx(
    connection: Connection,
    services: Services,
    reader: Reader,
    kind: BulkKind,
    parcels: Sequence[Parcel],
    body: str,
    *,
    key: str,
) -> list[ParcelChange]:
    """Do ``kind`` to ``parcels`` (locked, seen by the reader) in the caller's transaction; the changes to publish
    once it commits. Raises NotCancellable and NothingDone (then the caller's transaction rolls back)."""
    now = services.clock()
    if kind is BulkKind.CANCEL:
        return cancelling.cancel_tx(connection, services, reader, parcels, body, bulk_key=key)[1]
    if kind is BulkKind.MESSAGE:
        for parcel in parcels:
            messages.send_tx(connection, reader, parcel, body, now=now, bulk_key=key)
        return []
    refusals: list[str] = []
    if kind is BulkKind.HANDLE:
        for parcel in parcels:
            try:
                done = handling.handle_tx(connection, reader, parcel, body, now=now, bulk_key=key)
            except (NoException, AlreadyHandled) as error:
                refusals.append(f"{parcel.tracking_number}: {error.detail}")
                continue
            if done.replayed:  # handled before with the same words: not this action's doing, so no audit entry
                refusals.append(f"{parcel.tracking_number}: {done.handling.actor} marked it handled already")
    else:
        channel = _CHANNEL[kind]
        plans = []
        for parcel in parcels:  # every parcel planned before any is queued: all or none
            try:
                plans.append((parcel, resending.planned(connection, parcel, channel, None)))
            except Conflict as error:
                refusals.append(f"{parcel.tracking_number}: {error.detail}")
        if not refusals:
            for parcel, copies in plans:
                resending.queue_tx(connection, reader, parcel, channel, copies, now=now, bulk=(key, body))
    if refusals:
        raise NothingDone(f"Nothing was done: {'; '.join(refusals)}.", field="tracking_number")
    return []
