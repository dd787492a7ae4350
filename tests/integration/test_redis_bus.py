"""The Redis bus against a real redis-server of the test's own: fan-out across buses, and life without Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from ordertrail.realtime.bus import RESYNC
from ordertrail.realtime.messages import LiveMessage
from ordertrail.realtime.redis_bus import RedisBus, decode, encode
from tests.support.scale import RedisServer, redis_server

__all__ = ["redis_server"]


def message(parcel_id: int, sequence: int, order_id: int = 1) -> LiveMessage:
    return LiveMessage(parcel_id, order_id, sequence, b'{"s":%d,"t":"a b"}' % sequence)


async def until(condition: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_the_wire_format_round_trips() -> None:
    messages = [message(7, 2), message(8, 3, order_id=9)]
    origin, decoded = decode(encode(b"abc", messages))
    assert origin == b"abc" and decoded == messages
    with pytest.raises(ValueError):
        decode(b"origin\nnot a message")


async def test_a_message_published_on_one_bus_reaches_subscribers_of_every_bus_once(redis_server: RedisServer) -> None:
    first, second = RedisBus(redis_server.url), RedisBus(redis_server.url)
    for bus in (first, second):
        await bus.start()
        await asyncio.wait_for(bus.connected.wait(), 10)
    local, remote, order = first.subscribe_parcel(7), second.subscribe_parcel(7), second.subscribe_order(1)
    await first.publish([message(7, 2), message(7, 3)])
    assert [await asyncio.wait_for(remote.get(), 5) for _ in range(2)] == [message(7, 2), message(7, 3)]
    assert [await asyncio.wait_for(order.get(), 5) for _ in range(2)] == [message(7, 2), message(7, 3)]
    assert [await asyncio.wait_for(local.get(), 5) for _ in range(2)] == [message(7, 2), message(7, 3)]
    await second.publish([message(7, 4)])
    assert await asyncio.wait_for(local.get(), 5) == message(7, 4)
    assert await asyncio.wait_for(remote.get(), 5) == message(7, 4)
    # Redis keeps the channel's order, so first's own copies of 2 and 3 came back before 4 did: dropped.
    assert not local._items and not remote._items
    await first.close()
    await second.close()


async def test_without_redis_publishing_goes_on_and_streams_are_told_to_read_the_store(
    redis_server: RedisServer,
) -> None:
    bus = RedisBus(redis_server.url, poll_s=0.05)
    await bus.start()
    await asyncio.wait_for(bus.connected.wait(), 10)
    subscription = bus.subscribe_parcel(7)
    await asyncio.to_thread(redis_server.stop)
    await until(lambda: not bus.healthy)
    started = time.monotonic()
    await bus.publish([message(7, 2)])  # returns at once: Redis is not on the write path
    assert time.monotonic() - started < 0.1
    got = [await asyncio.wait_for(subscription.get(), 5) for _ in range(3)]
    assert got[0] == message(7, 2)  # this process's streams still get it directly
    assert got[1:] == [RESYNC, RESYNC]  # and, while Redis is down, keep re-reading the store
    await asyncio.to_thread(redis_server.start)
    await asyncio.wait_for(bus.connected.wait(), 15)
    while subscription._items:  # drain the polling ticks; the last one is the resync after reconnecting
        await subscription.get()
    other = RedisBus(redis_server.url)
    await other.start()
    await asyncio.wait_for(other.connected.wait(), 10)
    await other.publish([message(7, 3)])
    assert await asyncio.wait_for(subscription.get(), 5) == message(7, 3)  # live through Redis again
    await other.close()
    await bus.close()
