"""Courier events as received: the raw code beside the scan each became, or kept whole while unmatched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, distinct, func, insert, select, tuple_, update

from ordertrail.storage.couriers.tables import courier_event
from ordertrail.storage.tables import order, parcel


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    """One courier event row to write."""

    event_id: str
    integration_id: int
    courier: str
    courier_tracking_number: str
    courier_event_id: str
    code: str
    mapped: bool
    body_hash: str
    payload: str
    parcel_id: int | None  # None: unmatched


@dataclass(frozen=True, slots=True)
class StoredCourierEvent:
    """What is kept of a courier event already received: to answer a resend."""

    event_id: str
    body_hash: str
    parcel_id: int | None


def known_courier_events(connection: Connection, event_ids: Sequence[str]) -> dict[str, StoredCourierEvent]:
    if not event_ids:
        return {}
    rows = connection.execute(
        select(courier_event.c.event_id, courier_event.c.body_hash, courier_event.c.parcel_id).where(
            courier_event.c.event_id.in_(event_ids)
        )
    )
    return {r.event_id: StoredCourierEvent(r.event_id, r.body_hash, r.parcel_id) for r in rows}


def insert_courier_events(connection: Connection, events: Sequence[ReceivedEvent], *, at: datetime) -> None:
    if events:
        connection.execute(
            insert(courier_event),
            [
                {
                    "event_id": e.event_id,
                    "integration_id": e.integration_id,
                    "courier": e.courier,
                    "courier_tracking_number": e.courier_tracking_number,
                    "courier_event_id": e.courier_event_id,
                    "code": e.code,
                    "mapped": e.mapped,
                    "body_hash": e.body_hash,
                    "payload": e.payload,
                    "parcel_id": e.parcel_id,
                    "recorded_at": at,
                    "attached_at": at if e.parcel_id is not None else None,
                }
                for e in events
            ],
        )


def unmatched_payloads(connection: Connection, courier: str, tracking_number: str) -> list[tuple[str, str]]:
    """(event_id, payload) of the kept, unattached events of one (courier, number), oldest first."""
    rows = connection.execute(
        select(courier_event.c.event_id, courier_event.c.payload)
        .where(
            tuple_(courier_event.c.courier, courier_event.c.courier_tracking_number) == (courier, tracking_number),
            courier_event.c.parcel_id.is_(None),
        )
        .order_by(courier_event.c.id)
    )
    return [(r.event_id, r.payload) for r in rows]


def mark_attached(connection: Connection, event_ids: Sequence[str], *, parcel_id: int, at: datetime) -> None:
    if event_ids:
        connection.execute(
            update(courier_event)
            .where(courier_event.c.event_id.in_(event_ids))
            .values(parcel_id=parcel_id, attached_at=at)
        )


def raw_codes(connection: Connection, parcel_id: int) -> dict[str, tuple[str, str, bool]]:
    """event_id -> (courier, raw code, mapped) of the parcel's courier events."""
    rows = connection.execute(
        select(courier_event.c.event_id, courier_event.c.courier, courier_event.c.code, courier_event.c.mapped).where(
            courier_event.c.parcel_id == parcel_id
        )
    )
    return {r.event_id: (r.courier, r.code, r.mapped) for r in rows}


@dataclass(frozen=True, slots=True)
class UnmappedCode:
    """A courier code no mapping knew, on one merchant's parcels: how many events and parcels, and when last seen."""

    merchant_id: int
    courier: str
    code: str
    events: int
    parcels: int
    last_seen_at: datetime


def unmapped_codes(connection: Connection, merchant_ids: Sequence[int] | None) -> list[UnmappedCode]:
    """The unmapped codes on the parcels of the merchants named (None: every merchant), most recently seen first.

    Only events on parcels count: an unmatched event belongs to no merchant yet (it joins when handed over).
    """
    merchant = order.c.merchant_id
    query = (
        select(
            merchant,
            courier_event.c.courier,
            courier_event.c.code,
            func.count().label("events"),
            func.count(distinct(courier_event.c.parcel_id)).label("parcels"),
            func.max(courier_event.c.recorded_at).label("last_seen_at"),
        )
        .join(parcel, parcel.c.id == courier_event.c.parcel_id)
        .join(order, order.c.id == parcel.c.order_id)
        .where(courier_event.c.mapped.is_(False))
        .group_by(merchant, courier_event.c.courier, courier_event.c.code)
        .order_by(func.max(courier_event.c.recorded_at).desc(), courier_event.c.courier, courier_event.c.code)
    )
    if merchant_ids is not None:
        query = query.where(merchant.in_(list(merchant_ids)))
    return [
        UnmappedCode(r.merchant_id, r.courier, r.code, r.events, r.parcels, r.last_seen_at)
        for r in connection.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class AttachedEvent:
    """A courier event on a parcel: its payload, and the scan event that stands for it on the timeline now."""

    event_id: str
    recorded_event_id: str
    parcel_id: int
    mapped: bool
    payload: str


def events_of_code(connection: Connection, merchant_id: int, courier: str, code: str) -> list[AttachedEvent]:
    """The courier events of ``code`` on the merchant's parcels, in the order they were received."""
    rows = connection.execute(
        select(
            courier_event.c.event_id,
            courier_event.c.recorded_event_id,
            courier_event.c.parcel_id,
            courier_event.c.mapped,
            courier_event.c.payload,
        )
        .join(parcel, parcel.c.id == courier_event.c.parcel_id)
        .join(order, order.c.id == parcel.c.order_id)
        .where(courier_event.c.courier == courier, courier_event.c.code == code, order.c.merchant_id == merchant_id)
        .order_by(courier_event.c.id)
    )
    return [
        AttachedEvent(r.event_id, r.recorded_event_id or r.event_id, r.parcel_id, r.mapped, r.payload) for r in rows
    ]


def mark_remapped(connection: Connection, event_id: str, *, recorded_event_id: str, mapped: bool) -> None:
    """The courier event now stands on the timeline as ``recorded_event_id``, mapped or not."""
    connection.execute(
        update(courier_event)
        .where(courier_event.c.event_id == event_id)
        .values(recorded_event_id=None if recorded_event_id == event_id else recorded_event_id, mapped=mapped)
    )
