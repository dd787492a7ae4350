"""Protection for public endpoints: a rate limit per client address and a cap on concurrent live streams.

Counters live in a ``limits`` storage: in memory for the embedded deployment; a shared one (``async+redis://``)
when several processes serve the same customers.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from limits import RateLimitItem, parse_many
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

from ordertrail.domain.errors import RateLimited, TooManyStreams


class Throttle:
    """``check(address)`` counts one public request and raises RateLimited (with Retry-After) past the limit."""

    def __init__(self, rate: str, *, storage_uri: str = "async+memory://") -> None:
        self.items: list[RateLimitItem] = [] if rate.strip() == "0" else parse_many(rate)
        self._limiter = FixedWindowRateLimiter(storage_from_string(storage_uri)) if self.items else None

    @property
    def enabled(self) -> bool:
        return self._limiter is not None

    async def check(self, address: str, scope: str = "public") -> None:
        if self._limiter is None:
            return
        for item in self.items:
            if not await self._limiter.hit(item, scope, address):
                stats = await self._limiter.get_window_stats(item, scope, address)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise RateLimited(retry_after, f"Too many requests from your address: try again in {retry_after} s.")


class StreamSlots:
    """A cap on the live streams one address holds open at the same time (0: no cap)."""

    def __init__(self, per_address: int) -> None:
        self.per_address = per_address
        self._open: Counter[str] = Counter()

    @contextmanager
    def hold(self, address: str) -> Iterator[None]:
        """Hold a slot while the stream runs; raises TooManyStreams when the address has none left."""
        if self.per_address and self._open[address] >= self.per_address:
            raise TooManyStreams(30)
        self._open[address] += 1
        try:
            yield
        finally:
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]
