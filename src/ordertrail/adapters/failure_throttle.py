"""Counting failed attempts per client (pairing-code guesses): past the limit, the client waits it out.

In process memory: with several server processes each keeps its own count, which multiplies the limit by
the process count but keeps guessing hopeless (codes are ~2^39 and live for minutes).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from ordertrail.domain.errors import RateLimited


class FailureThrottle:
    """At most ``max_failures`` failures per client in ``window_s``, and ``max_total`` from all clients."""

    def __init__(
        self,
        *,
        max_failures: int,
        window_s: float = 900.0,
        max_total: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.max_total = max_total if max_total is not None else max_failures * 20
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()

    def _prune(self, now: float) -> None:
        horizon = now - self.window_s
        while self._all and self._all[0] <= horizon:
            self._all.popleft()
        for client in list(self._failures):
            times = self._failures[client]
            while times and times[0] <= horizon:
                times.popleft()
            if not times:
                del self._failures[client]

    def check(self, client: str) -> None:
        """Raise RateLimited if ``client`` (or everyone together) has failed too often lately."""
        now = self.clock()
        self._prune(now)
        times = self._failures.get(client)
        if times is not None and len(times) >= self.max_failures:
            raise RateLimited(self._retry_after(times[0], now), "Too many wrong pairing codes: wait, then try again.")
        if len(self._all) >= self.max_total:
            raise RateLimited(self._retry_after(self._all[0], now), "Too many wrong pairing codes: try again later.")

    def failed(self, client: str) -> None:
        now = self.clock()
        self._failures.setdefault(client, deque()).append(now)
        self._all.append(now)

    def _retry_after(self, oldest: float, now: float) -> int:
        return max(1, math.ceil(oldest + self.window_s - now))
