"""Live streams of a parcel or of an order: subscribe first, then replay from the store what the client missed."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlalchemy import Connection

from ordertrail.domain.errors import InvalidInput, OrderNotFound
from ordertrail.domain.inputs import ascii_digits
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.derivation import derive
from ordertrail.realtime.bus import EventBus, Subscription
from ordertrail.realtime.messages import LiveMessage
from ordertrail.realtime.stream import LiveStream, decode_cursor
from ordertrail.services.ports import Listener, Ports
from ordertrail.services.tracking.documents import live_document, live_message
from ordertrail.services.tracking.lookup import canonical_number, parcel_by_number
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.scanning import events as scan_store


def publisher(bus: EventBus) -> Listener:
    """An ``after_commit`` listener that publishes committed changes on ``bus``."""

    async def publish(changes: Sequence[ParcelChange]) -> None:
        # Rendering a message costs about as much as recording the scan's estimate: only for someone listening.
        await bus.publish(
            [live_message(c) for c in changes if bus.reaches_anyone(c.parcel_id, c.order_id, c.merchant_id)]
        )

    return publish


def replay_tx(
    connection: Connection, parcels: Sequence[Parcel], after: dict[int, int | None]
) -> tuple[list[LiveMessage], dict[int, int]]:
    """Messages of every event after each parcel's cursor, in sequence order, and the cursors to go on from.

    A parcel without a cursor starts at its newest event (nothing replayed). Each replayed message carries
    the status the parcel had right after that event, as the live message did.
    """
    current = parcel_store.parcels_by_tracking_number(connection, [p.tracking_number for p in parcels])
    cursor: dict[int, int] = {}
    wanted: list[Parcel] = []
    for parcel in parcels:
        last = current[parcel.tracking_number].state.last_sequence
        start = after.get(parcel.id)
        cursor[parcel.id] = last if start is None else min(start, last)
        if cursor[parcel.id] < last:
            wanted.append(parcel)
    messages: list[LiveMessage] = []
    events = scan_store.events_of(connection, [p.id for p in wanted])
    for parcel in wanted:
        history = events.get(parcel.id, [])  # in sequence order
        for index, event in enumerate(history):
            if event.sequence <= cursor[parcel.id]:
                continue
            derivation = derive(history[: index + 1])
            entry = next(e for e in derivation.timeline if e.event.event_id == event.event_id)
            document = live_document(
                tracking_number=parcel.tracking_number,
                event=event,
                effect=entry.effect,
                late=entry.late,
                status=derivation.status.value,
                substatus=derivation.substatus,
            )
            messages.append(LiveMessage(parcel.id, parcel.order_id, event.sequence, orjson.dumps(document)))
    return messages, cursor


async def _open(
    services: Ports,
    subscription: Subscription,
    parcels: Sequence[Parcel],
    after: dict[int, int | None],
    *,
    composite: bool,
    retry_ms: int,
) -> LiveStream:
    try:
        replay, cursor = await services.db.read(lambda connection: replay_tx(connection, parcels, after))
    except BaseException:
        subscription.close()
        raise

    async def catch_up(cursor: dict[int, int]) -> list[LiveMessage]:
        # What the bus did not bring (it was down, or messages of two processes overtook each other).
        after: dict[int, int | None] = dict(cursor)
        messages, _ = await services.db.read(lambda connection: replay_tx(connection, parcels, after))
        return messages

    return LiveStream(
        subscription,
        replay,
        cursor,
        parcels=[p.id for p in parcels] if composite else None,
        retry_ms=retry_ms,
        catch_up=catch_up,
    )


def _sequence(last_event_id: str | None) -> int | None:
    if last_event_id is None or not last_event_id.strip():
        return None
    sequence = ascii_digits(last_event_id.strip(), max_value=999_999_999)
    if sequence is None:
        raise InvalidInput("Last-Event-ID is not an id this stream sent.", field="Last-Event-ID")
    return sequence


async def parcel_stream(
    services: Ports, bus: EventBus, *, tracking_number: str, last_event_id: str | None, retry_ms: int = 2000
) -> LiveStream:
    """The live stream of one parcel from ``last_event_id`` (its sequence); raises ParcelNotFound."""
    after = _sequence(last_event_id)
    parcel = await parcel_by_number(services, canonical_number(tracking_number))
    subscription = bus.subscribe_parcel(parcel.id)  # before reading the replay: nothing falls in between
    return await _open(services, subscription, [parcel], {parcel.id: after}, composite=False, retry_ms=retry_ms)


async def order_stream(
    services: Ports, bus: EventBus, *, order_id: int, last_event_id: str | None, retry_ms: int = 2000
) -> LiveStream:
    """The live stream of every parcel of an order; ids are composite (one sequence per parcel, in order)."""

    def read(connection: Connection) -> list[Parcel]:
        return parcel_store.parcels_of_orders(connection, [order_id])[order_id]

    parcels = await services.db.read(read)
    if not parcels:
        raise OrderNotFound()
    after: dict[int, int | None] = dict.fromkeys((p.id for p in parcels), None)
    if last_event_id is not None and last_event_id.strip():
        sequences = decode_cursor(last_event_id, len(parcels))
        if sequences is None:
            raise InvalidInput("Last-Event-ID is not an id this stream sent.", field="Last-Event-ID")
        after = {p.id: s for p, s in zip(parcels, sequences, strict=True)}
    subscription = bus.subscribe_order(order_id)
    return await _open(services, subscription, parcels, after, composite=True, retry_ms=retry_ms)
