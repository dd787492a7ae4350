"""The counters port: named counters in fixed windows, changed and read in one atomic step.

``add(key, delta, window_s=…)`` adds ``delta`` (never below zero) and returns the new value and when the window
ends. A key whose window has ended starts again from zero; ``extend=True`` restarts its window on every change
(a gauge: open streams). Implementations: ``MemoryCounters`` (this process), ``StoreCounters`` (the store's
``limit_counter`` table: every process on it), and ``adapters/redis_counters.py`` (every process on every
machine that shares the Redis server).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Count:
    """A counter's value after a change, and when (epoch seconds) its window ends."""

    value: int
    resets_at: float


class Counters(Protocol):
    """Where counters live. ``add`` is atomic: two processes adding at once both see their own increment."""

    where: str  # for logs and docs: "memory", "store", "redis"

    async def add(self, key: str, delta: int, *, window_s: float, extend: bool = False) -> Count: ...

    async def close(self) -> None: ...


class MemoryCounters:
    """Counters in this process's memory: right for one server process, wrong for several (each counts alone)."""

    where = "memory"

    def __init__(self, *, clock: Callable[[], float] = time.time, max_keys: int = 100_000) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._counts: dict[str, tuple[int, float]] = {}

    async def add(self, key: str, delta: int, *, window_s: float, extend: bool = False) -> Count:
        now = self.clock()
        value, resets_at = self._counts.get(key, (0, 0.0))
        if resets_at <= now:
            value, resets_at = 0, now + window_s
        elif extend:
            resets_at = now + window_s
        value = max(0, value + delta)
        if key not in self._counts and len(self._counts) >= self.max_keys:
            self._forget_ended(now)
        self._counts[key] = (value, resets_at)
        return Count(value, resets_at)

    def _forget_ended(self, now: float) -> None:
        # Bounded memory under a flood of addresses: drop every ended window at once.
        self._counts = {k: v for k, v in self._counts.items() if v[1] > now}

    async def close(self) -> None:
        self._counts.clear()
