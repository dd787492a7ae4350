"""A cap on the live streams one holder keeps open at once, over the counters port.

A holder is a client address for the public streams, and a person for the console's (``staff_holder``): staff in
one office share an address, and their consoles must neither use up the customers' slots there nor each other's.

The count is a gauge: +1 when a stream opens, -1 when it ends. Its window restarts on every change, so a
process that dies with streams open leaks its slots for at most ``window_s`` of quiet, not for ever.
"""

from __future__ import annotations

from ordertrail.domain.errors import TooManyStreams
from ordertrail.services.limits.counters import Counters

GAUGE_WINDOW_S = 3600.0


class StreamSlots:
    """At most ``per_address`` open streams per holder (0: no cap), whichever process holds them."""

    def __init__(self, counters: Counters, per_address: int, *, window_s: float = GAUGE_WINDOW_S) -> None:
        self.counters = counters
        self.per_address = per_address
        self.window_s = window_s

    async def acquire(self, holder: str) -> None:
        """Take a slot for a stream; raises TooManyStreams when the holder has none left."""
        if not self.per_address:
            return
        count = await self.counters.add(self._key(holder), 1, window_s=self.window_s, extend=True)
        if count.value > self.per_address:
            await self.release(holder)
            raise TooManyStreams(30)

    async def release(self, holder: str) -> None:
        if self.per_address:
            await self.counters.add(self._key(holder), -1, window_s=self.window_s, extend=True)

    @staticmethod
    def _key(holder: str) -> str:
        return f"streams:{holder}"


def staff_holder(user_id: int) -> str:
    """The holder of a person's console streams (no client address looks like it)."""
    return f"staff-user:{user_id}"
