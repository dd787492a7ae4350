"""The counters port, the same behaviour on every backend: memory, the store (SQLite, or PostgreSQL on a
PostgreSQL run) and Redis. The shared ones must count exactly across two independent clients at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from ordertrail.services.limits.counters import Counters, MemoryCounters
from ordertrail.services.limits.redis_counters import RedisCounters
from ordertrail.services.limits.store_counters import StoreCounters
from ordertrail.settings import Settings
from ordertrail.storage.database import open_database
from ordertrail.storage.migrate import upgrade
from tests.support.scale import RedisServer, redis_server

__all__ = ["redis_server"]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "store", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Callable[..., object]]]:
    """(name, open(clock) → an async context manager of a Counters); each open is an independent client."""
    name = request.param
    if name == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")

        @asynccontextmanager
        async def open_redis(clock: Callable[[], float]) -> AsyncIterator[Counters]:
            counters = RedisCounters(server.url, clock=clock)
            try:
                yield counters
            finally:
                await counters.close()

        yield name, open_redis
        return
    url = Settings(data_dir=tmp_path / "data").resolved_database_url
    upgrade(url)
    memory = MemoryCounters()

    @asynccontextmanager
    async def open_store(clock: Callable[[], float]) -> AsyncIterator[Counters]:
        if name == "memory":
            memory.clock = clock
            yield memory  # one process: every "client" is the same memory
            return
        db = open_database(url)
        try:
            yield StoreCounters(db, clock=clock)
        finally:
            await db.close()

    yield name, open_store


def test_windows_reset_values_never_go_below_zero_and_gauges_extend(backend: tuple[str, Callable[..., object]]) -> None:
    name, open_counters = backend
    clock = Clock()

    async def main() -> None:
        async with open_counters(clock) as counters:  # type: ignore[attr-defined]
            first = await counters.add("k", 1, window_s=60)
            assert first.value == 1 and first.resets_at == pytest.approx(clock.now + 60, abs=1)
            assert (await counters.add("k", 2, window_s=60)).value == 3
            assert (await counters.add("k", -5, window_s=60)).value == 0  # a floor at zero
            assert (await counters.add("other", 1, window_s=60)).value == 1
            gauge = await counters.add("g", 1, window_s=60, extend=True)
            if name != "redis":  # Redis keeps time itself: its expiries are not moved by this clock
                clock.now += 61
                assert (await counters.add("k", 1, window_s=60)).value == 1  # a new window
                clock.now -= 30  # within g's window again: extend restarts it from now
                moved = await counters.add("g", 1, window_s=60, extend=True)
                assert moved.value == 2 and moved.resets_at > gauge.resets_at

    asyncio.run(main())


def test_two_clients_adding_at_once_each_see_their_own_change(backend: tuple[str, Callable[..., object]]) -> None:
    _, open_counters = backend
    clock = Clock()

    async def main() -> list[int]:
        async with open_counters(clock) as one, open_counters(clock) as two:  # type: ignore[attr-defined]
            adds = [client.add("shared", 1, window_s=60) for client in (one, two) for _ in range(40)]
            return [count.value for count in await asyncio.gather(*adds)]

    values = asyncio.run(main())
    assert sorted(values) == list(range(1, 81))  # no two adds saw the same value: none was lost
