"""A parcel's detail for a reader: the parcel, its order and the order's other parcels, and its one timeline.

The same for the API and the console page. A parcel of a merchant the reader does not see is answered exactly
like one that does not exist (ParcelNotFound), so the answer does not tell which numbers exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from ordertrail.domain.console.timeline import (
    ActionItem,
    EstimateItem,
    Item,
    MessageItem,
    NoteItem,
    ScanItem,
    mentions,
    merged,
)
from ordertrail.domain.couriers.handover import Handover
from ordertrail.domain.couriers.reconciliation import before_dispatch
from ordertrail.domain.errors import InvalidTrackingNumber, ParcelNotFound
from ordertrail.domain.notifying.outbox import ordering_key
from ordertrail.domain.notifying.policy import Channel
from ordertrail.domain.orders.order import Order
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.orders.recipient import RecipientVersion
from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.status import STATUS_LABELS, Status
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.domain.tracking import tracking_number as numbers
from ordertrail.services.console.readers import Reader
from ordertrail.services.ports import Ports
from ordertrail.storage.accounts import merchants as merchant_store
from ordertrail.storage.console import manual_scans as manual_store
from ordertrail.storage.console import notes as note_store
from ordertrail.storage.console import recipients as recipient_store
from ordertrail.storage.console import timeline as timeline_store
from ordertrail.storage.couriers import events as courier_store
from ordertrail.storage.couriers import handovers as handover_store
from ordertrail.storage.estimating import revisions as revision_store
from ordertrail.storage.orders import orders as order_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.scanning import events as scan_store


@dataclass(frozen=True, slots=True)
class ParcelDetail:
    parcel: Parcel
    order: Order
    merchant: str
    siblings: tuple[Parcel, ...]  # the order's other parcels, in position order
    timeline: tuple[Item, ...]
    contact: bool  # whether the reader may see the customer's contact
    handover: Handover | None = None  # the courier it was handed to (the page shows it; the API: GET …/tracking)
    recipient_versions: tuple[RecipientVersion, ...] = ()  # oldest first; empty: never corrected

    def document(self) -> dict[str, Any]:
        p, o, contact = self.parcel, self.order, self.contact
        destination = o.destination
        return {
            "tracking_number": p.tracking_number,
            "status": p.state.status.value,
            "status_label": STATUS_LABELS[p.state.status],
            "substatus": p.state.substatus,
            "position": p.position,
            "parcel_count": p.parcel_count,
            "reference": p.reference,
            "weight_grams": p.weight_grams,
            "order": {
                "order_number": o.order_number,
                "merchant": self.merchant,
                "placed_at": o.placed_at.isoformat(),
                "promised_delivery_date": o.promised_delivery_date.isoformat() if o.promised_delivery_date else None,
                "customer": {
                    "name": o.customer.name,
                    **({"email": o.customer.email, "phone": o.customer.phone} if contact else {}),
                },
                "destination": {
                    **({"line1": destination.line1, "line2": destination.line2} if contact else {}),
                    "city": destination.city,
                    "region": destination.region,
                    **({"postal_code": destination.postal_code} if contact else {}),
                    "country": destination.country,
                },
                "other_parcels": [
                    {"tracking_number": s.tracking_number, "position": s.position, "status": s.state.status.value}
                    for s in self.siblings
                ],
            },
            "contact_shown": contact,
            "recipient_versions": [v.document(contact=contact) for v in self.recipient_versions],
            "timeline": [item.document(contact=contact) for item in self.timeline],
        }


def canonical_number(raw: str) -> str:
    """The tracking number as stored. Raises ParcelNotFound for a malformed one (as for an unknown one)."""
    try:
        return numbers.normalize(raw)
    except InvalidTrackingNumber as error:
        raise ParcelNotFound(field="tracking_number") from error


def visible_parcel(connection: Connection, reader: Reader, tracking_number: str) -> Parcel:
    """The parcel, if the reader sees its merchant. Raises ParcelNotFound (also for another merchant's)."""
    found = parcel_store.parcels_by_tracking_number(connection, [tracking_number]).get(tracking_number)
    if found is None or not reader.sees(found.merchant_id):
        raise ParcelNotFound(field="tracking_number")
    return found


async def parcel_detail(services: Ports, reader: Reader, tracking_number: str) -> ParcelDetail:
    """Raises ParcelNotFound."""
    number = canonical_number(tracking_number)

    def read(connection: Connection) -> ParcelDetail:
        parcel = visible_parcel(connection, reader, number)
        order = order_store.orders_by_id(connection, [parcel.order_id])[parcel.order_id]
        siblings = parcel_store.parcels_of_orders(connection, [order.id])[order.id]
        events = scan_store.events_of(connection, [parcel.id]).get(parcel.id, [])
        # Courier events are marked with their courier, and flagged when dated before the dispatch scan; scans
        # recorded by hand are marked manual.
        couriers = {eid: courier for eid, (courier, _, _) in courier_store.raw_codes(connection, parcel.id).items()}
        dispatched = min((e.occurred_at for e in events if e.status == Status.DISPATCHED), default=None)
        manual = manual_store.manual_of(connection, [e.event_id for e in events])
        scans = [
            ScanItem(
                entry.event,
                entry.effect,
                entry.late,
                manual=entry.event.event_id in manual,
                courier=couriers.get(entry.event.event_id),
                before_dispatch=entry.event.event_id in couriers
                and before_dispatch(entry.event.occurred_at, dispatched),
            )
            for entry in derive(events).timeline
        ]
        estimates = [EstimateItem(r) for r in revision_store.revisions_of(connection, parcel.id)]
        messages = messages_of(connection, parcel)
        # A note is also an audit entry (for the audit log); on the timeline it is shown once, as the note.
        actions = [
            ActionItem(e) for e in timeline_store.actions_on(connection, number) if e.action != Action.NOTE_ADDED
        ]
        notes = [NoteItem(n) for n in note_store.notes_of(connection, parcel.id)]
        return ParcelDetail(
            parcel=parcel,
            order=order,
            merchant=merchant_store.merchant_names(connection, [order.merchant_id])[order.merchant_id],
            siblings=tuple(s for s in siblings if s.id != parcel.id),
            timeline=merged(scans, estimates, messages, actions, notes),
            contact=reader.may(Permission.CONTACT),
            handover=handover_store.handover_of(connection, parcel.id),
            recipient_versions=tuple(recipient_store.versions_of(connection, order.id)),
        )

    return await services.db.read(read)


def messages_of(connection: Connection, parcel: Parcel) -> list[MessageItem]:
    """The parcel's emails and webhooks (outbox rows, oldest first, with their attempts): the timeline's, and what
    may be resent (services/console/resending.py)."""
    keys = [ordering_key(order_id=parcel.order_id)] + [
        ordering_key(order_id=parcel.order_id, parcel_id=parcel.id, endpoint_id=e)
        for e in timeline_store.endpoint_ids_of(connection, parcel.merchant_id)
    ]
    return [m for m in timeline_store.messages_by_key(connection, keys) if _about(m, parcel.tracking_number)]


def _about(message: MessageItem, tracking_number: str) -> bool:
    # Webhook keys are per parcel already; an order's emails are about the parcels they name.
    return message.channel != Channel.EMAIL.value or mentions(message.payload, tracking_number)
