"""One client's live stream: what it missed (from the store), then live messages, de-duplicated by sequence."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from ordertrail.realtime.bus import Closed, Subscription, SubscriptionClosed
from ordertrail.realtime.messages import KEEPALIVE_FRAME, LiveMessage, retry_frame, sse_frame


class LiveStream:
    """Frames for one SSE client of one parcel, or of every parcel of an order.

    The subscription is opened *before* the replay is read from the store, so an event committed in between
    arrives twice, never zero times; ``cursor`` (parcel id -> last sequence sent) drops the second copy.
    ``parcels`` (parcel ids in order) makes the SSE id composite ("3-5": parcel 1 is at 3, parcel 2 at 5);
    without it the id is the single parcel's sequence.
    """

    def __init__(
        self,
        subscription: Subscription,
        replay: Sequence[LiveMessage],
        cursor: dict[int, int],
        *,
        parcels: Sequence[int] | None = None,
        retry_ms: int = 3000,
    ) -> None:
        self.subscription = subscription
        self.replay = replay
        self.cursor = cursor
        self.parcels = parcels
        self.retry_ms = retry_ms

    def _accept(self, message: LiveMessage) -> bool:
        last = self.cursor.get(message.parcel_id)
        if last is None or message.sequence <= last:
            return False
        if message.sequence != last + 1:
            # A gap (possible between processes): end the stream, the client resumes from the store.
            raise SubscriptionClosed(Closed.OVERFLOW)
        self.cursor[message.parcel_id] = message.sequence
        return True

    def _frame(self, message: LiveMessage) -> bytes:
        if self.parcels is None:
            return message.frame
        return sse_frame(encode_cursor(self.cursor, self.parcels), message.data)

    async def frames(self) -> AsyncIterator[bytes]:
        """The SSE byte stream; ends when the subscription closes (overflow, shutdown, disconnect)."""
        try:
            yield retry_frame(self.retry_ms)
            for message in self.replay:
                if self._accept(message):
                    yield self._frame(message)
            while True:
                item = await self.subscription.get()
                if item is None:
                    yield KEEPALIVE_FRAME
                elif self._accept(item):
                    yield self._frame(item)
        except SubscriptionClosed:
            return
        finally:
            self.subscription.close()


def encode_cursor(cursor: dict[int, int], parcels: Sequence[int]) -> str:
    """The composite SSE id of an order stream: each parcel's last sequence, in parcel order."""
    return "-".join(str(cursor[parcel_id]) for parcel_id in parcels)


def decode_cursor(text: str, count: int) -> list[int] | None:
    """The sequences in a composite id, or None when it is not one of ours for ``count`` parcels."""
    parts = text.strip().split("-")
    if len(parts) != count or not all(p.isdigit() and len(p) <= 9 for p in parts):
        return None
    return [int(p) for p in parts]
