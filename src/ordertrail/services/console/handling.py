"""Marking a parcel's exception handled, with what was done: the handling and its audit entry in one transaction.

Who may: staff with the HANDLE permission (operations, merchant, admin; not support or viewers) and admin and
merchant keys, on parcels they see (another merchant's is answered as unknown). The audit entry names the parcel,
so the handling shows on its timeline; the exceptions queue (the list's ``handled=false``, the overview's counts)
leaves the parcel out until a new exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from ordertrail.domain.console.handling import Handling, body_hash, what_was_done
from ordertrail.domain.errors import AlreadyHandled, Forbidden, IdempotencyKeyConflict, NoException
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console.detail import canonical_number, visible_parcel
from ordertrail.services.console.readers import Reader
from ordertrail.services.ports import Ports
from ordertrail.storage.console import handling as handling_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.staff import audit as audit_store


@dataclass(frozen=True, slots=True)
class Handled:
    tracking_number: str
    handling: Handling
    replayed: bool  # a retry: the handling made the first time

    def document(self) -> dict[str, object]:
        return self.handling.document(self.tracking_number)


async def mark_handled(
    services: Ports, reader: Reader, *, tracking_number: str, what: str, idempotency_key: str | None
) -> Handled:
    """Raises Forbidden, ParcelNotFound, InvalidInput (``what_was_done``), NoException (not in exception now),
    AlreadyHandled (someone else's words) and IdempotencyKeyConflict."""
    if not reader.may(Permission.HANDLE):
        raise Forbidden("Marking exceptions handled needs the handle permission (operations, merchant or admin).")
    number = canonical_number(tracking_number)
    text = what_was_done(what)
    digest = body_hash(number, text)
    now = services.clock()

    def write(connection: Connection) -> Handled:
        visible_parcel(connection, reader, number)
        # Locked: a scan changing the status in between would make the handling name an exception already gone.
        parcel = parcel_store.parcels_by_tracking_number(connection, [number], for_update=True)[number]
        if idempotency_key is not None:
            earlier = handling_store.by_key(connection, actor=reader.actor, idempotency_key=idempotency_key)
            if earlier is not None:
                if earlier[1] != digest:
                    raise IdempotencyKeyConflict(field="Idempotency-Key")
                return Handled(number, earlier[0], replayed=True)
        return handle_tx(connection, reader, parcel, text, now=now, idempotency_key=idempotency_key)

    return await services.db.write(write)


def handle_tx(
    connection: Connection,
    reader: Reader,
    parcel: Parcel,
    text: str,
    *,
    now: datetime,
    idempotency_key: str | None = None,
    bulk_key: str | None = None,
) -> Handled:
    """Mark the exception of ``parcel`` (locked by the caller, seen by the reader) handled with ``text`` (checked
    by ``what_was_done``), and its audit entry, in the caller's transaction (a bulk handling calls this for each
    parcel, ``bulk_key`` naming the bulk action in the audit entry). Raises NoException and AlreadyHandled."""
    number = parcel.tracking_number
    digest = body_hash(number, text)
    if parcel.state.status is not Status.EXCEPTION:
        raise NoException(
            f"Parcel {number} has no exception now (it is {parcel.state.status.value}).", field="tracking_number"
        )
    version = parcel.state.status_version
    made = handling_store.add(
        connection,
        parcel_id=parcel.id,
        status_version=version,
        actor=reader.actor,
        what_was_done=text,
        at=now,
        idempotency_key=idempotency_key,
        body_hash=digest,
    )
    if made is None:  # handled already (or a racing retry): the same words are a retry, others a conflict
        found = handling_store.of_exception(connection, parcel_id=parcel.id, status_version=version)
        assert found is not None
        if found[1] != digest:
            raise AlreadyHandled(
                f"{found[0].actor} marked this exception handled at {found[0].at.isoformat()}.",
                field="tracking_number",
            )
        return Handled(number, found[0], replayed=True)
    audit_store.append(
        connection,
        actor=reader.actor,
        action=Action.EXCEPTION_HANDLED,
        at=now,
        merchant_id=parcel.merchant_id,
        order_number=parcel.order_number,
        tracking_number=number,
        detail={"what_was_done": text, "status_version": version} | ({"bulk": bulk_key} if bulk_key else {}),
    )
    return Handled(number, made, replayed=False)


async def current_handling(services: Ports, reader: Reader, tracking_number: str) -> Handling | None:
    """The handling of the parcel's current exception, if it has one (None too when it is not in exception)."""
    number = canonical_number(tracking_number)

    def read(connection: Connection) -> Handling | None:
        parcel = visible_parcel(connection, reader, number)
        if parcel.state.status is not Status.EXCEPTION:
            return None
        found = handling_store.of_exception(connection, parcel_id=parcel.id, status_version=parcel.state.status_version)
        return None if found is None else found[0]

    return await services.db.read(read)
