"""The event bus port and its in-process adapter.

Publishing happens after commit and never waits for subscribers: each subscription has a bounded buffer, and
one that overflows is closed (its client reconnects with ``Last-Event-ID`` and catches up from the store).

The fan-out lives in ``Hub``, which knows nothing about where messages come from. ``InProcessBus`` hands
published messages straight to its hub; a Redis adapter keeps one pub/sub subscription per process and hands
what it reads to the same hub, so only the transport changes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Final, Protocol

from ordertrail.realtime.messages import LiveMessage


class Resync:
    """A tick asking a stream to re-read the store after its cursor (the bus may have missed messages)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "RESYNC"


RESYNC: Final = Resync()
Item = LiveMessage | Resync | None  # None: a keep-alive tick


class Closed(StrEnum):
    """Why a subscription ended."""

    OVERFLOW = "overflow"  # the client fell behind: it resumes from the store
    UNSUBSCRIBED = "unsubscribed"
    SHUTDOWN = "shutdown"


class Subscription:
    """A bounded buffer of messages for one client, fed by the hub, drained by the client's stream."""

    __slots__ = ("_hub", "_items", "_waiter", "closed", "limit", "topics")

    def __init__(self, hub: Hub, topics: tuple[str, ...], limit: int) -> None:
        self._hub = hub
        self.topics = topics
        self.limit = limit
        self._items: deque[Item] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self.closed: Closed | None = None

    def offer(self, item: Item) -> None:
        """Called by the hub; never blocks. A full buffer closes the subscription."""
        if self.closed is not None:
            return
        if isinstance(item, LiveMessage) and len(self._items) >= self.limit:
            self.close(Closed.OVERFLOW)
            return
        if item is None and self._items:
            return  # a message is about to go out anyway
        if item is RESYNC and RESYNC in self._items:
            return  # one pending re-read covers both
        self._items.append(item)
        self._wake()

    def close(self, reason: Closed = Closed.UNSUBSCRIBED) -> None:
        if self.closed is None:
            self.closed = reason
            self._items.clear()
            self._hub.remove(self)
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Item:
        """The next message, None for a keep-alive tick, or RESYNC. Raises SubscriptionClosed once closed."""
        while not self._items:
            if self.closed is not None:
                raise SubscriptionClosed(self.closed)
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self.closed is not None:
            raise SubscriptionClosed(self.closed)
        return self._items.popleft()


class SubscriptionClosed(Exception):
    def __init__(self, reason: Closed) -> None:
        super().__init__(reason.value)
        self.reason = reason


def parcel_topic(parcel_id: int) -> str:
    return f"p{parcel_id}"


def order_topic(order_id: int) -> str:
    return f"o{order_id}"


# The console's streams: every change of a merchant's parcels (``m7``), or of every merchant's (admins).
ALL_MERCHANTS: Final = "m*"


def merchant_topic(merchant_id: int) -> str:
    return f"m{merchant_id}"


def merchant_topics(merchant_ids: frozenset[int] | None) -> tuple[str, ...]:
    """The topics of a reader's merchants (None: every merchant)."""
    return (ALL_MERCHANTS,) if merchant_ids is None else tuple(merchant_topic(m) for m in sorted(merchant_ids))


class EventBus(Protocol):
    """Live fan-out of committed events to subscribers in this process (and, with Redis, in every process)."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, messages: Sequence[LiveMessage]) -> None:
        """Send messages of events that are already committed; returns without waiting for subscribers."""
        ...

    def subscribe_parcel(self, parcel_id: int) -> Subscription: ...

    def subscribe_order(self, order_id: int) -> Subscription: ...

    def subscribe_merchants(self, merchant_ids: frozenset[int] | None) -> Subscription:
        """Every change of those merchants' parcels (None: of every merchant), for the console's live lists."""
        ...

    def drain(self) -> None:
        """End every open stream now, and every one opened from now on (the server is stopping; clients resume
        elsewhere with ``Last-Event-ID``). Publishing still works for what commits meanwhile."""
        ...

    def reaches_anyone(self, parcel_id: int, order_id: int, merchant_id: int) -> bool:
        """Whether a message about this parcel could reach a subscriber (if not, publishers need not render it)."""
        ...

    @property
    def subscriber_count(self) -> int: ...


class Hub:
    """In-process fan-out from topics to bounded subscriptions, plus a keep-alive tick for all of them."""

    def __init__(self, *, queue_size: int = 256, keepalive_s: float = 15.0) -> None:
        self.queue_size = queue_size
        self.keepalive_s = keepalive_s
        self._topics: dict[str, set[Subscription]] = {}
        self._all: set[Subscription] = set()
        self._ticker: asyncio.Task[None] | None = None
        self.draining = False

    def subscribe(self, *topics: str) -> Subscription:
        subscription = Subscription(self, topics, self.queue_size)
        if self.draining:
            # Closed from the start: the stream sends what the store has, then ends, and the client comes back
            # (to another server) with Last-Event-ID.
            subscription.close(Closed.SHUTDOWN)
            return subscription
        for topic in topics:
            self._topics.setdefault(topic, set()).add(subscription)
        self._all.add(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        self._all.discard(subscription)
        for topic in subscription.topics:
            members = self._topics.get(topic)
            if members is not None:
                members.discard(subscription)
                if not members:
                    del self._topics[topic]

    def has_subscribers(self, parcel_id: int, order_id: int, merchant_id: int = 0) -> bool:
        topics = self._topics
        return (
            parcel_topic(parcel_id) in topics
            or order_topic(order_id) in topics
            or merchant_topic(merchant_id) in topics
            or ALL_MERCHANTS in topics
        )

    def deliver(self, messages: Iterable[LiveMessage]) -> None:
        """Offer each message to the subscribers of its parcel, of its order and of its merchant (a subscription
        has topics of one kind only, so each subscriber gets it once)."""
        for message in messages:
            parcel_subs = self._topics.get(parcel_topic(message.parcel_id), ())
            order_subs = self._topics.get(order_topic(message.order_id), ())
            # Snapshots: an overflow removes the subscription from the set while we iterate.
            for subscription in tuple(parcel_subs):
                subscription.offer(message)
            for subscription in tuple(order_subs):
                subscription.offer(message)
            if message.merchant_id:
                merchant_subs = self._topics.get(merchant_topic(message.merchant_id), ())
                for subscription in (*merchant_subs, *self._topics.get(ALL_MERCHANTS, ())):
                    subscription.offer(message)

    @property
    def subscriber_count(self) -> int:
        return len(self._all)

    def resync(self) -> None:
        """Ask every stream to catch up from the store (the transport lost or may have lost messages)."""
        for subscription in tuple(self._all):
            subscription.offer(RESYNC)

    def start(self) -> None:
        if self._ticker is None:
            self._ticker = asyncio.get_running_loop().create_task(self._tick(), name="ordertrail-live-keepalive")

    async def _tick(self) -> None:
        # One timer for every stream instead of one per stream.
        while True:
            await asyncio.sleep(self.keepalive_s)
            for subscription in tuple(self._all):
                subscription.offer(None)

    def drain(self) -> None:
        """Close every subscription, and every later one at once (see ``EventBus.drain``)."""
        self.draining = True
        for subscription in tuple(self._all):
            subscription.close(Closed.SHUTDOWN)

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        self.drain()


class InProcessBus:
    """The embedded deployment's bus: publishing is a direct hand-over to this process's hub."""

    def __init__(self, *, queue_size: int = 256, keepalive_s: float = 15.0, poll_s: float | None = None) -> None:
        self.hub = Hub(queue_size=queue_size, keepalive_s=keepalive_s)
        # Several processes on one store without Redis: none sees the others' commits, so streams re-read the
        # store every ``poll_s`` seconds.
        self.poll_s = poll_s
        self._poller: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.hub.start()
        if self.poll_s is not None and self._poller is None:
            self._poller = asyncio.get_running_loop().create_task(self._poll(), name="ordertrail-live-poll")

    async def _poll(self) -> None:
        assert self.poll_s is not None
        while True:
            await asyncio.sleep(self.poll_s)
            self.hub.resync()

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        await self.hub.close()

    async def publish(self, messages: Sequence[LiveMessage]) -> None:
        self.hub.deliver(messages)

    def subscribe_parcel(self, parcel_id: int) -> Subscription:
        return self.hub.subscribe(parcel_topic(parcel_id))

    def subscribe_order(self, order_id: int) -> Subscription:
        return self.hub.subscribe(order_topic(order_id))

    def subscribe_merchants(self, merchant_ids: frozenset[int] | None) -> Subscription:
        return self.hub.subscribe(*merchant_topics(merchant_ids))

    def drain(self) -> None:
        self.hub.drain()

    def reaches_anyone(self, parcel_id: int, order_id: int, merchant_id: int) -> bool:
        return self.hub.has_subscribers(parcel_id, order_id, merchant_id)  # this process is the only one

    @property
    def subscriber_count(self) -> int:
        return self.hub.subscriber_count
