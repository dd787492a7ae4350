"""Counters in Redis: shared by every process on every machine that uses the same Redis server.

One Lua script per change (INCRBY, the floor at zero and the window's expiry together), so a change and the
value it returns are one atomic step on the server. While Redis cannot be reached the counters fall back to
this process's memory (logged): the limits then hold per process until it is back, rather than every public
request failing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis.asyncio as redis
from redis.exceptions import RedisError

from ordertrail.services.limits.counters import Count, MemoryCounters

log = logging.getLogger("ordertrail.limits")

PREFIX = "ordertrail:limit:"

# KEYS[1]: the counter. ARGV: delta, window in ms, "1" to restart the window on every change.
ADD = """
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value < 0 then
  value = 0
  redis.call('SET', KEYS[1], 0, 'KEEPTTL')
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 or ARGV[3] == '1' then
  ttl = tonumber(ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {value, ttl}
"""


class RedisCounters:
    """Each change is one EVALSHA; the window's end is Redis's expiry of the key."""

    where = "redis"

    def __init__(self, url: str, *, clock: Callable[[], float] = time.time, timeout_s: float = 1.0) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
        self.script = self.client.register_script(ADD)
        self.clock = clock
        self.fallback = MemoryCounters(clock=clock)
        self._down = False

    async def add(self, key: str, delta: int, *, window_s: float, extend: bool = False) -> Count:
        try:
            value, ttl_ms = await self.script(
                keys=[PREFIX + key], args=[delta, max(1, int(window_s * 1000)), "1" if extend else "0"]
            )
        except (RedisError, OSError) as error:
            if not self._down:
                log.warning("limits: Redis unreachable (%s); counting in this process until it is back", error)
                self._down = True
            return await self.fallback.add(key, delta, window_s=window_s, extend=extend)
        if self._down:
            log.warning("limits: Redis is back; counting there again")
            self._down = False
        return Count(int(value), self.clock() + int(ttl_ms) / 1000)

    async def close(self) -> None:
        await self.client.aclose()
        await self.fallback.close()
