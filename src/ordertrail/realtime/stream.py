"""One client's live stream: what it missed (from the store), then live messages, de-duplicated by sequence."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence

from ordertrail.domain.inputs import ascii_digits
from ordertrail.realtime.bus import Closed, Subscription, SubscriptionClosed
from ordertrail.realtime.messages import KEEPALIVE_FRAME, LiveMessage, retry_frame, sse_frame

# Reads the store: every message after each parcel's sequence in the cursor, in sequence order.
CatchUp = Callable[[dict[int, int]], Awaitable[Sequence[LiveMessage]]]


class LiveStream:
    """Frames for one SSE client of one parcel, or of every parcel of an order.

    The subscription is opened *before* the replay is read from the store, so an event committed in between
    arrives twice, never zero times; ``cursor`` (parcel id -> last sequence sent) drops the second copy.
    ``parcels`` (parcel ids in order) makes the SSE id composite ("3-5": parcel 1 is at 3, parcel 2 at 5);
    without it the id is the single parcel's sequence.

    ``catch_up`` reads what the bus did not bring from the store: on a RESYNC tick (the bus was unhealthy or
    has just recovered) and on a gap in a parcel's sequences (messages from several processes can overtake
    each other). Without it a gap ends the stream and the client resumes with ``Last-Event-ID``.
    """

    def __init__(
        self,
        subscription: Subscription,
        replay: Sequence[LiveMessage],
        cursor: dict[int, int],
        *,
        parcels: Sequence[int] | None = None,
        retry_ms: int = 3000,
        catch_up: CatchUp | None = None,
    ) -> None:
        self.catch_up = catch_up
        self.subscription = subscription
        self.replay = replay
        self.cursor = cursor
        self.parcels = parcels
        self.retry_ms = retry_ms

    def _accept(self, message: LiveMessage) -> bool | None:
        """True: send it; False: already sent (or not ours); None: a gap before it."""
        last = self.cursor.get(message.parcel_id)
        if last is None or message.sequence <= last:
            return False
        if message.sequence != last + 1:
            return None
        self.cursor[message.parcel_id] = message.sequence
        return True

    async def _from_store(self) -> list[LiveMessage]:
        if self.catch_up is None:
            raise SubscriptionClosed(Closed.OVERFLOW)  # the client resumes from the store itself
        return [m for m in await self.catch_up(dict(self.cursor)) if self._accept(m)]

    async def _deliverable(self, messages: Iterable[LiveMessage]) -> AsyncIterator[LiveMessage]:
        for message in messages:
            accepted = self._accept(message)
            if accepted is None:
                for missed in await self._from_store():
                    yield missed
                if self._accept(message) is None:  # committed before it was published: cannot happen
                    raise SubscriptionClosed(Closed.OVERFLOW)
            elif accepted:
                yield message

    def _frame(self, message: LiveMessage) -> bytes:
        if self.parcels is None:
            return message.frame
        return sse_frame(encode_cursor(self.cursor, self.parcels), message.data)

    async def frames(self) -> AsyncIterator[bytes]:
        """The SSE byte stream; ends when the subscription closes (overflow, shutdown, disconnect)."""
        try:
            yield retry_frame(self.retry_ms)
            async for message in self._deliverable(self.replay):
                yield self._frame(message)
            while True:
                item = await self.subscription.get()
                if item is None:
                    yield KEEPALIVE_FRAME
                    continue
                if isinstance(item, LiveMessage):
                    async for message in self._deliverable((item,)):
                        yield self._frame(message)
                else:  # RESYNC
                    for message in await self._from_store():
                        yield self._frame(message)
        except SubscriptionClosed:
            return
        finally:
            self.subscription.close()


def encode_cursor(cursor: dict[int, int], parcels: Sequence[int]) -> str:
    """The composite SSE id of an order stream: each parcel's last sequence, in parcel order."""
    return "-".join(str(cursor[parcel_id]) for parcel_id in parcels)


def decode_cursor(text: str, count: int) -> list[int] | None:
    """The sequences in a composite id, or None when it is not one of ours for ``count`` parcels."""
    parts = [ascii_digits(p, max_value=999_999_999) for p in text.strip().split("-")]
    if len(parts) != count:
        return None
    sequences = [p for p in parts if p is not None]
    return sequences if len(sequences) == count else None
