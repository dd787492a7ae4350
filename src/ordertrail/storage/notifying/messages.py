"""Messages from the shop to a parcel's customer (table ``parcel_message``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from ordertrail.domain.notifying.messages import ShopMessage
from ordertrail.storage.notifying.tables import parcel_message
from ordertrail.storage.tables import parcel


def add_message(
    connection: Connection, *, parcel_id: int, merchant_id: int, text: str, sent_by: str, at: datetime
) -> None:
    """Keep the message, and move the parcel's ``updated_at``: its public view changed (the tracking cache's
    version probe reads it, so no stale page is served)."""
    connection.execute(
        insert(parcel_message).values(parcel_id=parcel_id, merchant_id=merchant_id, text=text, sent_by=sent_by,
                                      created_at=at)
    )  # fmt: skip
    connection.execute(update(parcel).where(parcel.c.id == parcel_id).values(updated_at=at))


def messages_of(connection: Connection, parcel_ids: Sequence[int]) -> dict[int, list[ShopMessage]]:
    """The parcels' messages, oldest first, by parcel id (parcels without any are absent)."""
    if not parcel_ids:
        return {}
    found: dict[int, list[ShopMessage]] = {}
    query = select(parcel_message).where(parcel_message.c.parcel_id.in_(parcel_ids)).order_by(parcel_message.c.id)
    for row in connection.execute(query):
        found.setdefault(row.parcel_id, []).append(ShopMessage(row.parcel_id, row.text, row.sent_by, row.created_at))
    return found
