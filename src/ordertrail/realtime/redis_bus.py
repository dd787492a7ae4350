"""The production bus: Redis pub/sub between API processes, one subscription per process, fan-out in its Hub.

Redis is never on the write path. ``publish`` hands the messages to this process's own subscribers at once and
queues them for a background sender; a Redis that is slow or down only costs other processes their live push.
While the subscription is down the hub sends every stream a RESYNC tick each ``poll_s`` seconds and the streams
read what they missed from the store (by sequence); when it is back, one more RESYNC closes the window between
the last poll and the new subscription. Streams drop what they already sent, so no client sees an id twice.

Wire format: one Redis message per ``publish`` call, ``origin`` then one line per message,
``parcel_id order_id merchant_id sequence data`` (``data`` is single-line JSON), so a group commit costs one
PUBLISH. The merchant id (for the console's streams) changed the format: upgrade a deployment's processes together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Sequence

import redis.asyncio as redis
from redis.exceptions import RedisError

from ordertrail.realtime.bus import Hub, Subscription, merchant_topics, order_topic, parcel_topic
from ordertrail.realtime.messages import LiveMessage

log = logging.getLogger("ordertrail.realtime")

CHANNEL = "ordertrail:live"


def encode(origin: bytes, messages: Sequence[LiveMessage]) -> bytes:
    lines = [b"%d %d %d %d %s" % (m.parcel_id, m.order_id, m.merchant_id, m.sequence, m.data) for m in messages]
    return b"\n".join([origin, *lines])


def decode(payload: bytes) -> tuple[bytes, list[LiveMessage]]:
    """(origin, messages); raises ValueError on anything else."""
    origin, *lines = payload.split(b"\n")
    messages = []
    for line in lines:
        parcel_id, order_id, merchant_id, sequence, data = line.split(b" ", 4)
        messages.append(LiveMessage(int(parcel_id), int(order_id), int(sequence), data, int(merchant_id)))
    return origin, messages


class RedisBus:
    """Live fan-out across processes through one Redis channel."""

    def __init__(
        self,
        url: str,
        *,
        channel: str = CHANNEL,
        queue_size: int = 256,
        keepalive_s: float = 15.0,
        poll_s: float = 1.0,
        outgoing_limit: int = 10_000,
    ) -> None:
        self.url = url
        self.channel = channel
        self.poll_s = poll_s
        self.hub = Hub(queue_size=queue_size, keepalive_s=keepalive_s)
        self.origin = uuid.uuid4().hex.encode()
        self.healthy = False  # subscribed and reading
        self._outgoing: deque[bytes] = deque(maxlen=outgoing_limit)  # oldest dropped if Redis cannot keep up
        self._send_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._poller: asyncio.Task[None] | None = None
        self._publisher = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        self._subscriber = redis.Redis.from_url(url, socket_connect_timeout=1, health_check_interval=5)
        self.connected = asyncio.Event()  # set whenever the subscription is live (tests and start-up wait on it)

    async def start(self) -> None:
        self.hub.start()
        self._set_healthy(False)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._listen(), name="ordertrail-redis-listen"),
            loop.create_task(self._send(), name="ordertrail-redis-send"),
        ]

    async def close(self) -> None:
        for task in [*self._tasks, *([self._poller] if self._poller else [])]:
            task.cancel()
        for task in [*self._tasks, *([self._poller] if self._poller else [])]:
            with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
                await task
        self._tasks, self._poller = [], None
        await self.hub.close()
        for client in (self._publisher, self._subscriber):
            with contextlib.suppress(RedisError, OSError):
                await client.aclose()

    async def publish(self, messages: Sequence[LiveMessage]) -> None:
        if not messages:
            return
        self.hub.deliver(messages)  # this process's streams at once; Redis brings them to the others
        self._outgoing.append(encode(self.origin, messages))
        self._send_wake.set()

    def subscribe_parcel(self, parcel_id: int) -> Subscription:
        return self.hub.subscribe(parcel_topic(parcel_id))

    def subscribe_order(self, order_id: int) -> Subscription:
        return self.hub.subscribe(order_topic(order_id))

    def subscribe_merchants(self, merchant_ids: frozenset[int] | None) -> Subscription:
        return self.hub.subscribe(*merchant_topics(merchant_ids))

    def drain(self) -> None:
        self.hub.drain()  # this process's streams; the other processes drain their own

    def reaches_anyone(self, parcel_id: int, order_id: int, merchant_id: int) -> bool:
        return True  # other processes' subscribers are not known here

    @property
    def subscriber_count(self) -> int:
        return self.hub.subscriber_count

    def _set_healthy(self, healthy: bool) -> None:
        was = self.healthy
        self.healthy = healthy
        if healthy:
            self.connected.set()
            if self._poller is not None:
                self._poller.cancel()
                self._poller = None
            if not was:
                self.hub.resync()  # whatever was committed between the last poll and the subscription
        else:
            self.connected.clear()
            if self._poller is None:
                self._poller = asyncio.get_running_loop().create_task(self._poll(), name="ordertrail-live-poll")

    async def _poll(self) -> None:
        # The bus may be missing messages: streams read the store until it is back.
        while True:
            await asyncio.sleep(self.poll_s)
            self.hub.resync()

    async def _listen(self) -> None:
        backoff = 0.2
        while True:
            pubsub = self._subscriber.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._set_healthy(True)
                backoff = 0.2
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message["type"] == "message":
                        self._receive(message["data"])
            except (RedisError, OSError) as error:
                if self.healthy:
                    log.warning("redis bus unavailable (%s): streams read the store until it returns", error)
                self._set_healthy(False)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed from redis 8.2
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    def _receive(self, payload: bytes) -> None:
        try:
            origin, messages = decode(payload)
        except ValueError:
            log.warning("ignored a malformed message on %s", self.channel)
            return
        if origin != self.origin:  # our own were delivered when published
            self.hub.deliver(messages)

    async def _send(self) -> None:
        while True:
            await self._send_wake.wait()
            self._send_wake.clear()
            while self._outgoing:
                batch = list(self._outgoing)
                self._outgoing.clear()
                try:
                    async with self._publisher.pipeline(transaction=False) as pipe:
                        for payload in batch:
                            pipe.publish(self.channel, payload)
                        await pipe.execute()
                except (RedisError, OSError) as error:
                    # Dropped: the other processes' streams poll the store while their subscription is down too.
                    log.debug("redis publish failed: %s", error)
