"""Failure lockouts (order lookups, pairing codes): a try is counted before it is evaluated, in one atomic step.

Counting first is what makes the limit exact under parallel guesses from several processes: the sixth of sixty
simultaneous wrong guesses already sees a count of six and is refused without being evaluated. A try that
succeeds gives its count back; a refused one is not counted at all.

Each try is counted twice: under its scope and client address (``per_client``: one client's budget, so one
attacker locks out only themself) and under its scope alone (``per_scope``: a ceiling for many addresses
together, so spreading the guesses over a botnet does not multiply them without end).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ordertrail.domain.errors import RateLimited
from ordertrail.services.limits.counters import Counters


@dataclass
class Reservation:
    """The tries taken for one attempt. A failure keeps them; ``succeeded()`` gives them back."""

    lockout: Lockout
    keys: list[str] = field(default_factory=list)

    async def succeeded(self) -> None:
        await self.lockout.give_back(self.keys)
        self.keys = []


class Lockout:
    """Failures per scope and client, and per scope, in ``window_s``; past either bound the attempt is refused
    (``locked(seconds until it opens)``) until the window ends."""

    def __init__(
        self,
        counters: Counters,
        *,
        name: str,
        per_client: int,
        per_scope: int,
        window_s: float,
        locked: Callable[[int], RateLimited],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.counters = counters
        self.name = name
        self.per_client = per_client
        self.per_scope = per_scope
        self.window_s = window_s
        self.locked = locked
        self.clock = clock

    async def reserve(self, client: str, scopes: Sequence[str] = ("all",)) -> Reservation:
        """Take one try in every scope for ``client``, or none: raises ``locked(retry_after)`` when one is used up."""
        reservation = Reservation(self)
        for scope in scopes:
            for key, most in (
                (f"lock:{self.name}:{scope}:{client}", self.per_client),
                (f"lock:{self.name}:{scope}", self.per_scope),
            ):
                count = await self.counters.add(key, 1, window_s=self.window_s)
                reservation.keys.append(key)
                if count.value > most:
                    await self.give_back(reservation.keys)
                    raise self.locked(max(1, math.ceil(count.resets_at - self.clock())))
        return reservation

    async def give_back(self, keys: Sequence[str]) -> None:
        for key in keys:
            await self.counters.add(key, -1, window_s=self.window_s)
