"""When repeated failed sign-ins lock an account: ``max_failures`` within ``window`` locks it until the oldest of
them leaves the window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    max_failures: int
    window: timedelta

    def locked_until(self, failures: Sequence[datetime], *, now: datetime) -> datetime | None:
        """The end of the lockout given the failure times inside the window (None: not locked)."""
        recent = sorted(at for at in failures if at > now - self.window)
        if len(recent) < self.max_failures:
            return None
        return recent[-self.max_failures] + self.window
