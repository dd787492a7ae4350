"""Resending a parcel's notifications: the customer's email again, or its webhooks replayed to the merchant.

A resend writes new outbox rows copying the originals (same event type, same body or template context, same
ordering key), so the delivery worker sends, retries and logs them like any other, and the parcel's timeline
shows them with their attempts. Each resent message has a new message id (webhook-id): a receiver that already
processed the original sees a new delivery of the same event (the body's event id is unchanged, to deduplicate
on). Webhooks go only to endpoints still enabled. With an Idempotency-Key a retried request sends nothing again
and answers with what the first one wrote.

Who may: the NOTE permission (support, operations, merchant, admin: "resend" is support's job; not viewers) and
admin and merchant keys, on parcels they see.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection

from ordertrail.domain.console.timeline import MessageItem
from ordertrail.domain.errors import Conflict, Forbidden, IdempotencyKeyConflict, NotFound
from ordertrail.domain.notifying.outbox import NewMessage, ordering_key
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console.detail import canonical_number, messages_of, visible_parcel
from ordertrail.services.console.readers import Reader
from ordertrail.services.notifying.outbox import new_message_id
from ordertrail.services.ports import Ports
from ordertrail.storage.console import resends as resend_store
from ordertrail.storage.notifying import endpoints as endpoint_store
from ordertrail.storage.notifying import outbox as outbox_store
from ordertrail.storage.staff import audit as audit_store


class Channel(StrEnum):
    EMAIL = "email"  # the newest email about the parcel (or the one named)
    WEBHOOK = "webhook"  # every webhook about the parcel, in order (or the one named)


@dataclass(frozen=True, slots=True)
class Resent:
    tracking_number: str
    messages: tuple[dict[str, str], ...]  # message_id (new), resends (the original's), channel, event_type
    replayed: bool  # a retry under the same Idempotency-Key: what the first request wrote

    def document(self) -> dict[str, object]:
        return {"tracking_number": self.tracking_number, "resent": list(self.messages)}


async def resend(
    services: Ports,
    reader: Reader,
    *,
    tracking_number: str,
    channel: Channel,
    message_id: str | None,
    idempotency_key: str | None,
) -> Resent:
    """Raises Forbidden, ParcelNotFound, NotFound (``message_id`` not one of the parcel's), Conflict (nothing of
    that channel to resend: naming ``channel``) and IdempotencyKeyConflict."""
    if not reader.may(Permission.NOTE):
        raise Forbidden("Resending needs the note permission (support, operations, merchant or admin).")
    number = canonical_number(tracking_number)
    digest = hashlib.sha256(f"resend\n{number}\n{channel.value}\n{message_id or ''}".encode()).hexdigest()
    now = services.clock()

    def write(connection: Connection) -> Resent:
        parcel = visible_parcel(connection, reader, number)
        if idempotency_key is not None:
            earlier = resend_store.by_key(connection, actor=reader.actor, idempotency_key=idempotency_key)
            if earlier is not None:
                return _replay(number, earlier, digest)
        copies = planned(connection, parcel, channel, message_id)
        resent = [r for _, r in copies]
        if idempotency_key is not None:
            # Kept before anything is sent: a retry racing this one (PostgreSQL) waits on the key, then finds it.
            kept = resend_store.add(
                connection,
                parcel_id=parcel.id,
                actor=reader.actor,
                idempotency_key=idempotency_key,
                body_hash=digest,
                resent=resent,
                at=now,
            )
            if not kept:
                found = resend_store.by_key(connection, actor=reader.actor, idempotency_key=idempotency_key)
                assert found is not None
                return _replay(number, found, digest)
        return queue_tx(connection, reader, parcel, channel, copies, now=now)

    return await services.db.write(write)


Planned = list[tuple[NewMessage, dict[str, str]]]  # each copy, with what the answer says about it


def planned(connection: Connection, parcel: Parcel, channel: Channel, message_id: str | None) -> Planned:
    """The copies a resend of ``parcel`` would queue. Raises NotFound (``message_id``) and Conflict (nothing of
    that channel to resend, naming ``channel``). Nothing is written: a bulk resend plans every parcel first."""
    originals = _chosen(connection, parcel, channel, message_id)
    copies = [_copy(parcel, m) for m in originals]
    return [
        (c, {"message_id": c.message_id, "resends": m.message_id, "channel": m.channel, "event_type": m.event_type})
        for c, m in zip(copies, originals, strict=True)
    ]


def queue_tx(
    connection: Connection,
    reader: Reader,
    parcel: Parcel,
    channel: Channel,
    copies: Planned,
    *,
    now: datetime,
    bulk: tuple[str, str] | None = None,
) -> Resent:
    """Queue the ``planned`` copies and the audit entry, in the caller's transaction (a bulk resend calls this for
    each parcel, ``bulk`` its key and reason for the audit entry)."""
    resent = [r for _, r in copies]
    outbox_store.add_messages(connection, [c for c, _ in copies], now=now)
    audit_store.append(
        connection,
        actor=reader.actor,
        action=Action.NOTIFICATION_RESENT,
        at=now,
        merchant_id=parcel.merchant_id,
        order_number=parcel.order_number,
        tracking_number=parcel.tracking_number,
        detail={"channel": channel.value, "resent": [r["resends"] for r in resent]}
        | ({"bulk": bulk[0], "reason": bulk[1]} if bulk else {}),
    )
    return Resent(parcel.tracking_number, tuple(resent), replayed=False)


def _chosen(connection: Connection, parcel: Parcel, channel: Channel, message_id: str | None) -> list[MessageItem]:
    messages = [m for m in messages_of(connection, parcel) if m.channel == channel.value]
    if channel is Channel.WEBHOOK:
        live = {e.id for e in endpoint_store.active_endpoints_of(connection, [parcel.merchant_id])}
        messages = [m for m in messages if m.endpoint_id in live]
    if message_id is not None:
        named = [m for m in messages if m.message_id == message_id]
        if not named:
            raise NotFound(
                f"No {channel.value} {message_id!r} about this parcel to resend (webhooks: to an endpoint still "
                "enabled).",
                field="message_id",
            )
        return named
    if not messages:
        what = "email about this parcel" if channel is Channel.EMAIL else "webhook to an enabled endpoint"
        raise Conflict(f"There is no {what} to resend.", field="channel")
    return messages if channel is Channel.WEBHOOK else messages[-1:]


def _copy(parcel: Parcel, original: MessageItem) -> NewMessage:
    """The original again, queued behind everything earlier about the parcel (its own ordering key)."""
    key = (
        ordering_key(order_id=parcel.order_id, parcel_id=parcel.id, endpoint_id=original.endpoint_id)
        if original.endpoint_id is not None
        else ordering_key(order_id=parcel.order_id)
    )
    return NewMessage(
        message_id=new_message_id(),
        channel=original.channel,
        event_type=original.event_type,
        merchant_id=parcel.merchant_id,
        endpoint_id=original.endpoint_id,
        recipient=original.recipient,
        payload=original.payload,
        ordering_key=key,
    )


def _replay(number: str, earlier: tuple[list[dict[str, str]], str], digest: str) -> Resent:
    resent, earlier_digest = earlier
    if earlier_digest != digest:
        raise IdempotencyKeyConflict(field="Idempotency-Key")
    return Resent(number, tuple(resent), replayed=True)
