"""Counters in the store (``limit_counter``): shared by every process on it, on one machine or several."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection

from ordertrail.services.limits.counters import Count
from ordertrail.storage.database import Database
from ordertrail.storage.limits import counters as counter_store

# Ended windows are deleted at most this often per process, in the transaction of a change.
FORGET_EVERY_S = 300.0


class StoreCounters:
    """Each change is one write transaction holding one atomic statement."""

    where = "store"

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock
        self._forget_at = clock() + FORGET_EVERY_S

    async def add(self, key: str, delta: int, *, window_s: float, extend: bool = False) -> Count:
        now = self.clock()
        forget = now >= self._forget_at
        if forget:
            self._forget_at = now + FORGET_EVERY_S

        def change(connection: Connection) -> tuple[int, float]:
            if forget:
                counter_store.forget_ended(connection, before=now)
            return counter_store.add(connection, key=key, delta=delta, window_s=window_s, extend=extend, now=now)

        value, resets_at = await self.db.write(change)
        return Count(value, resets_at)

    async def close(self) -> None:
        """Nothing to close: the store belongs to the runtime."""
