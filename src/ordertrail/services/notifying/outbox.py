"""Turning committed parcel changes into outbox rows (in the same transaction), and notification settings.

``enqueue_notifications`` runs inside the write transaction of the scan or order that caused the changes, so a
notification exists if and only if its event does. The pure policy (domain/notifying/policy.py) decides who hears
about what; this module only looks up who that is and writes the rows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ordertrail.domain.accounts.merchant_settings import MerchantSettings
from ordertrail.domain.couriers.handover import Handover
from ordertrail.domain.estimating.revisions import delay_text, window_text
from ordertrail.domain.notifying.endpoints import Endpoint
from ordertrail.domain.notifying.outbox import NewMessage, ordering_key
from ordertrail.domain.notifying.policy import (
    MESSAGE_EMAIL,
    NOT_PICKED_UP_EVENT,
    STALLED_EVENT,
    Channel,
    DelayChange,
    Notice,
    plan,
    plan_delays,
    plan_stalls,
    subscribed,
)
from ordertrail.domain.orders.order import Order
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.storage.accounts import merchants as merchant_store
from ordertrail.storage.notifying import endpoints as notification_store
from ordertrail.storage.notifying import outbox as outbox_store
from ordertrail.storage.notifying import preferences as preference_store
from ordertrail.storage.orders import orders as order_store


def new_message_id() -> str:
    """A Standard Webhooks message id: the same on every retry of that message."""
    return f"msg_{uuid.uuid4().hex}"


def enqueue_notifications(connection: Connection, changes: Sequence[ParcelChange], *, now: datetime) -> int:
    """Write the outbox rows the policy asks for ``changes``, in the caller's transaction. Returns rows written."""
    if not changes:
        return 0
    merchant_ids = sorted({c.merchant_id for c in changes})
    notices = plan(changes, preference_store.preferences_of(connection, merchant_ids))
    if not notices:
        return 0
    endpoints = notification_store.active_endpoints_of(
        connection, sorted({n.change.merchant_id for n in notices if n.channel is Channel.WEBHOOK})
    )
    orders = order_store.orders_by_id(connection, sorted({n.change.order_id for n in notices}))
    shops = merchant_store.merchant_settings_of(connection, merchant_ids)
    messages: list[NewMessage] = []
    for notice in notices:
        change, order = notice.change, orders[notice.change.order_id]
        if notice.channel is Channel.WEBHOOK:
            body = webhook_body(notice, order, now=now)
            for endpoint in endpoints:
                if endpoint.merchant_id == change.merchant_id and subscribed(notice.event_type, endpoint.event_types):
                    messages.append(
                        NewMessage(
                            message_id=new_message_id(),
                            channel=Channel.WEBHOOK.value,
                            event_type=notice.event_type,
                            merchant_id=change.merchant_id,
                            endpoint_id=endpoint.id,
                            payload=body,
                            ordering_key=ordering_key(
                                order_id=order.id, parcel_id=change.parcel_id, endpoint_id=endpoint.id
                            ),
                        )
                    )
        else:
            context = email_context(notice, order, shops[change.merchant_id])
            messages.append(_email_row(notice.event_type, order, change.merchant_id, context))
    outbox_store.add_messages(connection, messages, now=now)
    return len(messages)


def webhook_body(notice: Notice, order: Order, *, now: datetime) -> str:
    """The JSON body of a webhook (Standard Webhooks shape: type, timestamp, data)."""
    change, event = notice.change, notice.change.event
    document: dict[str, Any] = {
        "type": notice.event_type,
        "timestamp": now.isoformat(),
        "data": {
            "order_number": order.order_number,
            "tracking_number": change.tracking_number,
            "status": change.status,
            "previous_status": change.previous_status,
            "substatus": change.substatus,
            "status_version": change.status_version,
            "sequence": event.sequence,
            "event": {
                "event_id": event.event_id,
                "status": str(event.status),
                "substatus": event.substatus,
                "occurred_at": event.occurred_at.isoformat(),
                "recorded_at": event.recorded_at.isoformat(),
                "reason": event.reason,
                "voids_event_id": event.voids_event_id,
                "location": {
                    "facility": event.location.facility,
                    "city": event.location.city,
                    "region": event.location.region,
                    "country": event.location.country,
                },
            },
        },
    }
    return json.dumps(document, separators=(",", ":"))


def shop_context(shop: MerchantSettings) -> dict[str, Any]:
    """The shop in an email: its name, its logo (a path: the worker makes it absolute with the public base URL)
    and its support contact, as they were when the email was queued."""
    logo = shop.logo
    return {
        "merchant_id": shop.id,
        "merchant_name": shop.shown_name,
        "merchant_logo": None if logo is None else {"path": logo.path, "width": logo.width, "height": logo.height},
        "support_email": shop.support_email,
        "support_url": shop.support_url,
    }


def email_context(notice: Notice, order: Order, shop: MerchantSettings) -> dict[str, Any]:
    """What an email template needs, frozen at the time of the event (rendered by the worker)."""
    change = notice.change
    parcels = notice.order_changes or (change,)
    return {
        "status": change.status,
        "previous_status": change.previous_status,
        "status_version": change.status_version,
        "reason": change.event.reason,
        **shop_context(shop),
        "order_number": order.order_number,
        "customer_name": order.customer.name,
        "tracking_number": change.tracking_number,
        "tracking_numbers": [p.tracking_number for p in parcels],
        "occurred_at": change.event.occurred_at.isoformat(),
        "city": change.event.location.city,
    }


def enqueue_delay_notices(
    connection: Connection, changes: Sequence[DelayChange], delayed_before: dict[int, int], *, now: datetime
) -> int:
    """Outbox rows for delay overlays coming on or off (policy: ``plan_delays``), in the caller's transaction."""
    merchant_ids = sorted({c.merchant_id for c in changes})
    notices = plan_delays(changes, delayed_before, preference_store.preferences_of(connection, merchant_ids))
    if not notices:
        return 0
    endpoints = notification_store.active_endpoints_of(connection, merchant_ids)
    orders = order_store.orders_by_id(connection, sorted({n.change.order_id for n in notices}))
    shops = merchant_store.merchant_settings_of(connection, merchant_ids)
    messages: list[NewMessage] = []
    for notice in notices:
        change, order = notice.change, orders[notice.change.order_id]
        window = {"earliest": change.earliest.isoformat(), "latest": change.latest.isoformat()}
        if notice.channel is Channel.WEBHOOK:
            body = _overlay_body(
                notice.event_type,
                order,
                change.tracking_number,
                now=now,
                reason=change.reason,
                estimated_delivery=window,
                promised_delivery_date=change.promise.isoformat(),
            )
            messages += _webhook_rows(endpoints, change.merchant_id, change.parcel_id, order, notice.event_type, body)
            continue
        context = {
            "status": "delayed" if change.delayed else "delay_cleared",
            "reason": change.reason,
            "reason_text": delay_text(change.reason),
            "arriving": window_text(change.earliest, change.latest),
            **shop_context(shops[change.merchant_id]),
            "order_number": order.order_number,
            "customer_name": order.customer.name,
            "tracking_number": change.tracking_number,
            "tracking_numbers": [change.tracking_number],
        }
        messages.append(_email_row(notice.event_type, order, change.merchant_id, context))
    outbox_store.add_messages(connection, messages, now=now)
    return len(messages)


def enqueue_stall_notices(connection: Connection, stalled: Sequence[Parcel], *, now: datetime) -> int:
    """``parcel.stalled`` webhooks for newly stalled parcels (merchants only), in the caller's transaction."""
    merchant_ids = sorted({p.merchant_id for p in stalled})
    wanted = plan_stalls([p.merchant_id for p in stalled], preference_store.preferences_of(connection, merchant_ids))
    endpoints = notification_store.active_endpoints_of(connection, merchant_ids)
    orders = order_store.orders_by_id(connection, sorted({p.order_id for p in stalled}))
    messages: list[NewMessage] = []
    for parcel, send in zip(stalled, wanted, strict=True):
        state = parcel.estimate
        if not send or state is None:
            continue
        order = orders[parcel.order_id]
        body = _overlay_body(
            STALLED_EVENT,
            order,
            parcel.tracking_number,
            now=now,
            step=state.step,
            step_started_at=state.step_started_at.isoformat() if state.step_started_at else None,
            stall_after=state.stall_after.isoformat() if state.stall_after else None,
        )
        messages += _webhook_rows(endpoints, parcel.merchant_id, parcel.id, order, STALLED_EVENT, body)
    outbox_store.add_messages(connection, messages, now=now)
    return len(messages)


def enqueue_pickup_notices(connection: Connection, parcels: Sequence[tuple[Parcel, Handover]], *, now: datetime) -> int:
    """``parcel.not_picked_up`` webhooks (merchants only, as for stalled parcels), in the caller's transaction."""
    merchant_ids = sorted({p.merchant_id for p, _ in parcels})
    wanted = plan_stalls([p.merchant_id for p, _ in parcels], preference_store.preferences_of(connection, merchant_ids))
    endpoints = notification_store.active_endpoints_of(connection, merchant_ids)
    orders = order_store.orders_by_id(connection, sorted({p.order_id for p, _ in parcels}))
    messages: list[NewMessage] = []
    for (parcel, handover), send in zip(parcels, wanted, strict=True):
        if not send:
            continue
        order = orders[parcel.order_id]
        body = _overlay_body(
            NOT_PICKED_UP_EVENT,
            order,
            parcel.tracking_number,
            now=now,
            courier=handover.courier,
            courier_tracking_number=handover.tracking_number,
            handed_over_at=handover.handed_over_at.isoformat(),
        )
        messages += _webhook_rows(endpoints, parcel.merchant_id, parcel.id, order, NOT_PICKED_UP_EVENT, body)
    outbox_store.add_messages(connection, messages, now=now)
    return len(messages)


def enqueue_shop_message(connection: Connection, parcel: Parcel, text: str, *, now: datetime) -> None:
    """The customer's email of a message from the shop (template ``message``), in the caller's transaction.

    Sent whatever the merchant's status settings say (a person chose to write it); an address that unsubscribed
    from the shop's emails still gets none (the worker checks, as for every email).
    """
    order = order_store.orders_by_id(connection, [parcel.order_id])[parcel.order_id]
    context = {
        "status": MESSAGE_EMAIL,
        "message": text,
        **shop_context(merchant_store.merchant_settings_of(connection, [parcel.merchant_id])[parcel.merchant_id]),
        "order_number": order.order_number,
        "customer_name": order.customer.name,
        "tracking_number": parcel.tracking_number,
        "tracking_numbers": [parcel.tracking_number],
    }
    outbox_store.add_messages(connection, [_email_row(MESSAGE_EMAIL, order, parcel.merchant_id, context)], now=now)


def _email_row(kind: str, order: Order, merchant_id: int, context: dict[str, Any]) -> NewMessage:
    """An email to the order's customer; the worker renders ``context`` with the template of ``kind``."""
    return NewMessage(
        message_id=new_message_id(),
        channel=Channel.EMAIL.value,
        event_type=kind,
        merchant_id=merchant_id,
        recipient=order.customer.email,
        payload=json.dumps(context),
        ordering_key=ordering_key(order_id=order.id),
    )


def _overlay_body(kind: str, order: Order, tracking_number: str, *, now: datetime, **data: Any) -> str:
    document = {
        "type": kind,
        "timestamp": now.isoformat(),
        "data": {"order_number": order.order_number, "tracking_number": tracking_number, **data},
    }
    return json.dumps(document, separators=(",", ":"))


def _webhook_rows(
    endpoints: Sequence[Endpoint], merchant_id: int, parcel_id: int, order: Order, kind: str, body: str
) -> list[NewMessage]:
    return [
        NewMessage(
            message_id=new_message_id(),
            channel=Channel.WEBHOOK.value,
            event_type=kind,
            merchant_id=merchant_id,
            endpoint_id=endpoint.id,
            payload=body,
            ordering_key=ordering_key(order_id=order.id, parcel_id=parcel_id, endpoint_id=endpoint.id),
        )
        for endpoint in endpoints
        if endpoint.merchant_id == merchant_id and subscribed(kind, endpoint.event_types)
    ]
