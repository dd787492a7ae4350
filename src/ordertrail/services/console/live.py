"""The console's live lists: one stream per signed-in page, of every change to the reader's merchants' parcels.

Each change is a small SSE event (``parcel``: the tracking number and the status now); the page then re-reads its
own list, so what it shows is always exactly what its filters select, never a patch that could drift. A
``resync`` event means the bus may have missed changes (Redis was away): the page re-reads as well.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson

from ordertrail.realtime.bus import RESYNC, EventBus, Subscription, SubscriptionClosed
from ordertrail.realtime.messages import KEEPALIVE_FRAME, LiveMessage, retry_frame
from ordertrail.services.console.readers import Reader

RESYNC_FRAME = b"event: resync\ndata: {}\n\n"


class ChangeStream:
    """Frames for one console client (``http/sse.py`` sends them); the subscription closes when it ends."""

    def __init__(self, subscription: Subscription, *, retry_ms: int) -> None:
        self.subscription = subscription
        self.retry_ms = retry_ms

    async def frames(self) -> AsyncIterator[bytes]:
        try:
            yield retry_frame(self.retry_ms)
            while True:
                item = await self.subscription.get()
                if item is None:
                    yield KEEPALIVE_FRAME
                elif item is RESYNC:
                    yield RESYNC_FRAME
                elif isinstance(item, LiveMessage):
                    yield change_frame(item)
        except SubscriptionClosed:
            return
        finally:
            self.subscription.close()


def change_frame(message: LiveMessage) -> bytes:
    """The console's event of a change: which parcel, and its status now (no customer data)."""
    document = orjson.loads(message.data)
    data = orjson.dumps({"tracking_number": document["tracking_number"], "status": document["status"]})
    return b"event: parcel\ndata: " + data + b"\n\n"


def change_stream(bus: EventBus, reader: Reader, *, retry_ms: int) -> ChangeStream:
    """The stream of the reader's merchants (admins: every merchant)."""
    return ChangeStream(bus.subscribe_merchants(reader.scope), retry_ms=retry_ms)
