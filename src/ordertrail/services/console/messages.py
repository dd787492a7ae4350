"""Messages to customers in the staff member's own words: kept, emailed, shown on the tracking page, audited.

One transaction holds the message, its email (an outbox row: delivered and retried like every email) and the
audit entry, so a message is either sent and recorded everywhere or not at all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from ordertrail.domain.errors import Forbidden, InvalidInput, ParcelNotFound
from ordertrail.domain.notifying.messages import ShopMessage, message_problem
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console.readers import Reader
from ordertrail.services.notifying.outbox import enqueue_shop_message
from ordertrail.services.ports import Ports
from ordertrail.storage.notifying import messages as message_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.staff import audit as audit_store


async def send_message(services: Ports, reader: Reader, *, tracking_number: str, text: str) -> ShopMessage:
    """Send the parcel's customer a message. Raises Forbidden (viewers), InvalidInput (the text), ParcelNotFound
    (also for a parcel of a merchant the reader does not see)."""
    if not reader.may(Permission.NOTE):
        raise Forbidden("Writing to customers needs the note permission (support, operations, merchant or admin).")
    problem = message_problem(text)
    if problem is not None:
        raise InvalidInput(f"The message cannot be sent: {problem}.", field="message")
    body = text.strip()

    def transaction(connection: Connection) -> ShopMessage:
        parcel = parcel_store.parcels_by_tracking_number(connection, [tracking_number]).get(tracking_number)
        if parcel is None or not reader.sees(parcel.merchant_id):
            raise ParcelNotFound(f"No parcel {tracking_number!r}.", field="tracking_number")
        return send_tx(connection, reader, parcel, body, now=services.clock())

    return await services.db.write(transaction)


def send_tx(
    connection: Connection, reader: Reader, parcel: Parcel, body: str, *, now: datetime, bulk_key: str | None = None
) -> ShopMessage:
    """Keep the message, write its email and its audit entry, in the caller's transaction (one parcel; a bulk
    message calls this for each, ``bulk_key`` naming the bulk action in the audit entry)."""
    sent_by = reader.actor.name
    message_store.add_message(
        connection, parcel_id=parcel.id, merchant_id=parcel.merchant_id, text=body, sent_by=sent_by, at=now
    )
    enqueue_shop_message(connection, parcel, body, now=now)
    audit_store.append(
        connection,
        actor=reader.actor,
        action=Action.CUSTOMER_MESSAGE_SENT,
        at=now,
        merchant_id=parcel.merchant_id,
        order_number=parcel.order_number,
        tracking_number=parcel.tracking_number,
        detail={"message": body} | ({"bulk": bulk_key} if bulk_key else {}),
    )
    return ShopMessage(parcel.id, body, sent_by, now)
