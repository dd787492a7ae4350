"""Rate limits, lockouts and stream slots over counters in memory (the same rules run on every backend:
tests/integration/limits)."""

from __future__ import annotations

import asyncio

import pytest

from ordertrail.domain.errors import OrderLocked, RateLimited, TooManyStreams
from ordertrail.services.limits.counters import MemoryCounters
from ordertrail.services.limits.lockouts import Lockout
from ordertrail.services.limits.rates import RateLimit
from ordertrail.services.limits.streams import StreamSlots


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_lockout_locks_a_client_out_for_the_rest_of_the_window() -> None:
    clock = Clock()
    lockout = Lockout(
        MemoryCounters(clock=clock), name="t", per_client=3, per_scope=100, window_s=60, locked=OrderLocked, clock=clock
    )

    async def main() -> None:
        for _ in range(3):
            await lockout.reserve("a")  # three failures: kept
        with pytest.raises(OrderLocked) as locked:
            await lockout.reserve("a")
        assert locked.value.retry_after_s == 60
        await lockout.reserve("b")  # others are not affected
        clock.now += 30
        with pytest.raises(OrderLocked) as still:
            await lockout.reserve("a")
        assert still.value.retry_after_s == 30
        clock.now += 31
        await lockout.reserve("a")

    asyncio.run(main())


def test_a_success_gives_its_try_back_and_a_refused_try_is_not_counted() -> None:
    clock = Clock()
    counters = MemoryCounters(clock=clock)
    lockout = Lockout(counters, name="t", per_client=2, per_scope=3, window_s=60, locked=OrderLocked, clock=clock)

    async def main() -> None:
        for _ in range(5):
            await (await lockout.reserve("a")).succeeded()
        await lockout.reserve("a")
        await lockout.reserve("a")
        with pytest.raises(OrderLocked):
            await lockout.reserve("a")
        await lockout.reserve("b")  # the scope has 3 failures now: its ceiling
        with pytest.raises(OrderLocked):
            await lockout.reserve("c")  # a third address is refused by the ceiling…
        # …and that refusal took nothing from c's own budget or the scope's.
        assert (await counters.add("lock:t:all:c", 0, window_s=60)).value == 0
        assert (await counters.add("lock:t:all", 0, window_s=60)).value == 3

    asyncio.run(main())


def test_sixty_parallel_tries_get_exactly_the_limit_evaluated() -> None:
    lockout = Lockout(MemoryCounters(), name="t", per_client=5, per_scope=50, window_s=60, locked=OrderLocked)

    async def attempt() -> bool:
        try:
            await lockout.reserve("a", ["order-1"])
        except OrderLocked:
            return False
        await asyncio.sleep(0)  # the evaluation: other tries run meanwhile
        return True

    async def main() -> list[bool]:
        return await asyncio.gather(*(attempt() for _ in range(60)))

    assert sum(asyncio.run(main())) == 5


def test_rate_limits_count_each_window_and_say_when_to_retry() -> None:
    clock = Clock()
    limit = RateLimit(MemoryCounters(clock=clock), "3/minute", clock=clock)

    async def main() -> None:
        for _ in range(3):
            await limit.check("a")
        clock.now += 20
        with pytest.raises(RateLimited) as refused:
            await limit.check("a")
        assert refused.value.retry_after_s == 40
        await limit.check("b")
        clock.now += 41
        await limit.check("a")

    asyncio.run(main())
    assert not RateLimit(MemoryCounters(), "0").enabled


def test_stream_slots_are_a_gauge_per_address() -> None:
    slots = StreamSlots(MemoryCounters(), 2)

    async def main() -> None:
        await slots.acquire("a")
        await slots.acquire("a")
        with pytest.raises(TooManyStreams):
            await slots.acquire("a")
        await slots.acquire("b")
        await slots.release("a")
        await slots.acquire("a")  # the refused one took no slot
        with pytest.raises(TooManyStreams):
            await slots.acquire("a")

    asyncio.run(main())


def test_a_redis_limit_backend_without_redis_is_refused_with_the_setting_named() -> None:
    from pydantic import ValidationError

    from ordertrail.settings import Settings

    with pytest.raises(ValidationError) as refused:
        Settings(limit_backend="redis")
    (problem,) = refused.value.errors()
    assert problem["loc"] == ("limit_backend",) and "needs ORDERTRAIL_REDIS_URL" in problem["msg"]
    assert Settings(limit_backend="redis", redis_url="redis://127.0.0.1:6379/0").limits.backend == "redis"
    # 'auto': Redis when configured, else the store when several processes share it, else memory.
    assert Settings(redis_url="redis://127.0.0.1:6379/0").limits.backend == "redis"
    assert Settings(live_poll_always=True).limits.backend == "store"
    assert Settings(database_url="postgresql://db/x").limits.backend == "store"
    assert Settings().limits.backend == "memory"
