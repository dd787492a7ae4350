"""Rate limits per client address (public lookups, stream connections), over the counters port."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from limits import parse_many

from ordertrail.domain.errors import RateLimited
from ordertrail.services.limits.counters import Counters


class RateLimit:
    """``check(address)`` counts one request and raises RateLimited (with Retry-After) past the limit.

    ``rate`` is like ``120/minute`` or ``10/second;120/minute`` (each window counted on its own); ``0``: off.
    Fixed windows: at most the limit in each window, whichever process served the request.
    """

    def __init__(
        self, counters: Counters, rate: str, *, scope: str = "public", clock: Callable[[], float] = time.time
    ) -> None:
        self.counters = counters
        self.scope = scope
        self.clock = clock
        items = [] if rate.strip() == "0" else parse_many(rate)
        self.windows: list[tuple[int, int]] = [(item.amount, item.get_expiry()) for item in items]

    @property
    def enabled(self) -> bool:
        return bool(self.windows)

    async def check(self, address: str) -> None:
        for amount, seconds in self.windows:
            key = f"rate:{self.scope}:{amount}/{seconds}:{address}"
            count = await self.counters.add(key, 1, window_s=seconds)
            if count.value > amount:
                retry_after = max(1, math.ceil(count.resets_at - self.clock()))
                raise RateLimited(retry_after, f"Too many requests from your address: try again in {retry_after} s.")
