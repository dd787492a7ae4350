"""Correcting an order's recipient before delivery: a new version (who, when, why, which fields), the order row
set to it, and an audit entry on each of its parcels, in one transaction.

Who may: the cancel permission ("cancel, void, correct": operations, merchant, admin; not support or viewers),
and merchant and admin keys, on orders they see (another merchant's is answered as unknown). The order's parcels
are locked, so a delivery scan and a correction cannot pass each other: once one is delivered, a correction is
refused (RecipientFixed) and nothing changes. Emails queued afterwards read the order row: the corrected address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from ordertrail.domain.console.scan_fixes import why
from ordertrail.domain.errors import (
    Conflict,
    Forbidden,
    IdempotencyKeyConflict,
    InvalidInput,
    OrderNotFound,
    RecipientFixed,
)
from ordertrail.domain.orders import recipient as rules
from ordertrail.domain.orders.order import Order
from ordertrail.domain.orders.recipient import Recipient, RecipientVersion
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console.readers import Reader
from ordertrail.services.ports import Ports
from ordertrail.storage.console import recipients as recipient_store
from ordertrail.storage.orders import orders as order_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.staff import audit as audit_store


@dataclass(frozen=True, slots=True)
class Corrected:
    order_number: str
    version: RecipientVersion | None  # the version made (or, for a retry, made the first time); None: no change
    changed: bool
    replayed: bool

    def document(self) -> dict[str, Any]:
        return {
            "order_number": self.order_number,
            "changed": self.changed,
            "version": None if self.version is None else self.version.document(contact=True),
        }


async def correct_recipient(
    services: Ports,
    reader: Reader,
    *,
    order_number: str,
    given: dict[str, str | None],
    reason: str,
    merchant_id: int | None = None,
    idempotency_key: str | None = None,
) -> Corrected:
    """Correct the fields ``given`` (dotted names: ``customer.email``, ``destination.line1``…; others keep their
    value). Raises Forbidden, InvalidInput (``reason``, each field), OrderNotFound, Conflict (several merchants
    use the number: name one), RecipientFixed (a parcel is delivered), IdempotencyKeyConflict."""
    if not reader.may(Permission.CANCEL):
        raise Forbidden("Correcting a recipient needs the cancel permission (operations, merchant or admin).")
    text = why(reason)
    if not given:
        raise InvalidInput("Give the fields to correct: customer, destination or both.", field="customer")
    problems = rules.problems(given)
    if problems:
        raise InvalidInput("The corrected recipient is not valid.", problems=problems)

    def write(connection: Connection) -> Corrected:
        order = _visible_order(connection, reader, order_number, merchant_id)
        digest = rules.body_hash(order.id, given, text)
        if idempotency_key is not None:
            earlier = recipient_store.by_key(connection, actor=reader.actor, idempotency_key=idempotency_key)
            if earlier is not None:
                if earlier[1] != digest:
                    raise IdempotencyKeyConflict(field="Idempotency-Key")
                return Corrected(order.order_number, earlier[0], changed=True, replayed=True)
        parcels = parcel_store.parcels_of_orders(connection, [order.id])[order.id]
        numbers = [p.tracking_number for p in parcels]
        locked = parcel_store.parcels_by_tracking_number(connection, numbers, for_update=True)
        refusal = rules.refusal((n, locked[n].state.status) for n in numbers)
        if refusal is not None:
            raise RecipientFixed(f"Nothing was corrected: {refusal}.", field="order_number")
        current = Recipient(order.customer, order.destination)
        recipient, changed = rules.corrected(current, given)
        if not changed:  # the order says this already: a retry without a key changes nothing
            return Corrected(order.order_number, None, changed=False, replayed=False)
        now = services.clock()
        versions = recipient_store.versions_of(connection, order.id)
        if not versions:  # the first correction keeps the order as placed, as version 1
            recipient_store.add(
                connection, order_id=order.id, version=1, recipient=current, at=order.created_at, actor=None,
                reason=None, changed=(),
            )  # fmt: skip
        number = versions[-1].version + 1 if versions else 2
        recipient_store.add(
            connection,
            order_id=order.id,
            version=number,
            recipient=recipient,
            at=now,
            actor=reader.actor,
            reason=text,
            changed=changed,
            idempotency_key=idempotency_key,
            body_hash=digest,
        )
        recipient_store.set_current(connection, order.id, recipient)
        for parcel in parcels:
            # The page's destination city and country may change: no cached tracking page stays stale.
            parcel_store.touch_parcel(connection, parcel.id, now=now)
            audit_store.append(
                connection,
                actor=reader.actor,
                action=Action.RECIPIENT_CORRECTED,
                at=now,
                merchant_id=order.merchant_id,
                order_number=order.order_number,
                tracking_number=parcel.tracking_number,
                # The fields' names, never their values: the audit log and timeline are read by viewers too.
                detail={"version": number, "changed": list(changed), "reason": text},
            )
        made = recipient_store.versions_of(connection, order.id)[-1]
        return Corrected(order.order_number, made, changed=True, replayed=False)

    return await services.db.write(write)


def _visible_order(connection: Connection, reader: Reader, order_number: str, merchant_id: int | None) -> Order:
    orders = [
        o
        for o in order_store.order_by_number(connection, merchant_id=merchant_id, order_number=order_number)
        if reader.sees(o.merchant_id)
    ]
    if not orders:
        raise OrderNotFound(f"No order {order_number!r}.", field="order_number")
    if len(orders) > 1:
        raise Conflict(f"Several merchants use order number {order_number!r}: name the merchant.", field="merchant")
    return orders[0]
