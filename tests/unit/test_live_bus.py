"""The in-process bus and live streams: fan-out, bounded queues, replay de-duplication, composite ids."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from ordertrail.realtime.bus import Closed, InProcessBus, SubscriptionClosed
from ordertrail.realtime.messages import LiveMessage
from ordertrail.realtime.stream import LiveStream, decode_cursor, encode_cursor
from ordertrail.services.console.live import change_frame


def message(parcel_id: int, sequence: int, order_id: int = 1) -> LiveMessage:
    return LiveMessage(parcel_id, order_id, sequence, b'{"s":%d}' % sequence)


async def test_a_message_reaches_parcel_and_order_subscribers_only() -> None:
    bus = InProcessBus()
    parcel = bus.subscribe_parcel(7)
    order = bus.subscribe_order(1)
    other = bus.subscribe_parcel(8)
    await bus.publish([message(7, 2)])
    assert (await parcel.get()).sequence == 2  # type: ignore[union-attr]
    assert (await order.get()).sequence == 2  # type: ignore[union-attr]
    other.close()
    with pytest.raises(SubscriptionClosed):
        await other.get()
    await bus.close()


async def test_a_full_queue_disconnects_that_subscriber_and_never_blocks_publish() -> None:
    bus = InProcessBus(queue_size=3)
    slow = bus.subscribe_parcel(1)
    fast = bus.subscribe_parcel(1)
    for sequence in range(2, 12):
        await bus.publish([message(1, sequence)])  # returns at once, whatever the subscribers do
        assert (await fast.get()).sequence == sequence  # type: ignore[union-attr]
    assert slow.closed is Closed.OVERFLOW
    with pytest.raises(SubscriptionClosed):
        await slow.get()
    assert bus.subscriber_count == 1
    await bus.close()


async def test_keepalive_ticks_reach_idle_subscribers() -> None:
    bus = InProcessBus(keepalive_s=0.01)
    await bus.start()
    subscription = bus.subscribe_parcel(1)
    assert await asyncio.wait_for(subscription.get(), timeout=5) is None
    await bus.close()
    assert subscription.closed is Closed.SHUTDOWN


async def test_stream_replays_then_goes_live_without_duplicates_or_gaps() -> None:
    bus = InProcessBus()
    subscription = bus.subscribe_parcel(1)
    # Committed while the replay was being read: arrives both ways.
    await bus.publish([message(1, 4), message(1, 5)])
    stream = LiveStream(subscription, [message(1, 3), message(1, 4)], {1: 2}, retry_ms=1000)
    frames = stream.frames()
    assert await anext(frames) == b"retry: 1000\n\n"
    got = [await anext(frames) for _ in range(3)]
    assert got == [message(1, 3).frame, message(1, 4).frame, message(1, 5).frame]
    await bus.publish([message(1, 7)])  # a gap (6 is missing): the stream ends so the client resumes
    with pytest.raises(StopAsyncIteration):
        await anext(frames)
    assert subscription.closed is not None
    await bus.close()


async def test_order_stream_ids_are_composite_and_resumable() -> None:
    bus = InProcessBus()
    subscription = bus.subscribe_order(1)
    stream = LiveStream(subscription, [], {10: 3, 11: 5}, parcels=[10, 11])
    frames = stream.frames()
    await anext(frames)
    await bus.publish([message(11, 6), message(10, 4)])
    assert (await anext(frames)).startswith(b"id: 3-6\n")
    assert (await anext(frames)).startswith(b"id: 4-6\n")
    assert decode_cursor("4-6", 2) == [4, 6]
    assert decode_cursor("4-6", 3) is None
    assert decode_cursor("4-x", 2) is None
    assert encode_cursor({10: 4, 11: 6}, [10, 11]) == "4-6"
    await bus.close()


def store_of(*messages: LiveMessage) -> Callable[[dict[int, int]], Awaitable[list[LiveMessage]]]:
    """A stand-in for the store's catch-up read: every message after each parcel's cursor."""

    async def catch_up(cursor: dict[int, int]) -> list[LiveMessage]:
        return [m for m in messages if m.sequence > cursor.get(m.parcel_id, 0)]

    return catch_up


async def test_a_gap_is_filled_from_the_store_when_the_stream_can_read_it() -> None:
    bus = InProcessBus()
    subscription = bus.subscribe_parcel(1)
    committed = [message(1, 3), message(1, 4), message(1, 5)]
    stream = LiveStream(subscription, [], {1: 2}, catch_up=store_of(*committed))
    frames = stream.frames()
    await anext(frames)
    await bus.publish([message(1, 5)])  # 3 and 4 came through another process and are late
    assert [await anext(frames) for _ in range(3)] == [m.frame for m in committed]
    await bus.publish([message(1, 3), message(1, 4), message(1, 6)])  # the late ones: dropped, never twice
    assert await anext(frames) == message(1, 6).frame
    await bus.close()


async def test_a_resync_tick_reads_the_store_and_sends_each_event_once() -> None:
    bus = InProcessBus()
    subscription = bus.subscribe_parcel(1)
    committed = [message(1, 3), message(1, 4)]
    stream = LiveStream(subscription, [], {1: 2}, catch_up=store_of(*committed))
    frames = stream.frames()
    await anext(frames)
    bus.hub.resync()
    bus.hub.resync()  # one pending re-read covers both
    assert [await anext(frames) for _ in range(2)] == [m.frame for m in committed]
    bus.hub.resync()  # nothing new in the store: nothing sent
    await bus.publish([message(1, 4), message(1, 5)])  # the bus delivering what the store already gave
    assert await anext(frames) == message(1, 5).frame
    await bus.close()


async def test_draining_ends_open_streams_and_streams_opened_later_after_their_replay() -> None:
    bus = InProcessBus()
    open_one = bus.subscribe_parcel(1)
    frames = LiveStream(open_one, [message(1, 2)], {1: 1}).frames()
    assert [await anext(frames), await anext(frames)] == [b"retry: 3000\n\n", message(1, 2).frame]
    waiting = asyncio.ensure_future(anext(frames))  # the stream waits for its next message
    bus.drain()
    assert open_one.closed is Closed.SHUTDOWN
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, timeout=5)
    # A stream that opens while the server stops still gets what it missed from the store, then ends.
    late = bus.subscribe_parcel(1)
    assert late.closed is Closed.SHUTDOWN and bus.subscriber_count == 0
    frames = await _frames(LiveStream(late, [message(1, 2), message(1, 3)], {1: 1}))
    assert frames[1:] == [message(1, 2).frame, message(1, 3).frame]
    await bus.publish([message(1, 4)])  # what commits meanwhile is published to no one, without error
    await bus.close()


async def _frames(stream: LiveStream) -> list[bytes]:
    return [frame async for frame in stream.frames()]


async def test_merchant_streams_get_their_merchants_changes_and_admins_every_merchants() -> None:
    bus = InProcessBus()
    shop_a, shop_b, everyone = bus.subscribe_merchants(frozenset({5})), bus.subscribe_merchants(frozenset({6})), \
        bus.subscribe_merchants(None)  # fmt: skip
    assert bus.reaches_anyone(1, 1, 7)  # the admin's stream: every merchant's change reaches someone
    data = b'{"tracking_number":"OT1","status":"dispatched","event":{}}'
    await bus.publish([LiveMessage(1, 1, 2, data, 5)])
    got = await shop_a.get()
    assert isinstance(got, LiveMessage) and got.merchant_id == 5
    assert change_frame(got) == b'event: parcel\ndata: {"tracking_number":"OT1","status":"dispatched"}\n\n'
    assert (await everyone.get()) is got
    await bus.publish([LiveMessage(2, 2, 2, data, 6)])
    assert (await shop_b.get()).merchant_id == 6  # type: ignore[union-attr]
    assert (await everyone.get()).merchant_id == 6  # type: ignore[union-attr]
    everyone.close()
    assert bus.reaches_anyone(3, 3, 5) and not bus.reaches_anyone(3, 3, 9)
    await bus.close()
