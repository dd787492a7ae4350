"""When to try a failed delivery again: the retry schedule, jitter, and ``Retry-After``. Pure."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Final

# About three days in ten attempts (the first, then nine retries): see docs/notifications.md.
DEFAULT_SCHEDULE: Final = "5s,5m,30m,2h,5h,10h,14h,20h,24h"
JITTER: Final = 0.2  # each delay is stretched or shrunk by up to 20% so retries of many messages spread out
MAX_RETRY_AFTER: Final = timedelta(hours=24)

_UNITS: Final = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_DELAY: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")


def parse_schedule(text: str) -> tuple[timedelta, ...]:
    """``"5s,5m,2h"`` as delays; raises ValueError naming the bad item."""
    delays: list[timedelta] = []
    for item in text.split(","):
        match = _DELAY.match(item)
        if match is None:
            raise ValueError(f"{item.strip()!r} is not a delay such as 5s, 30m, 2h or 1d")
        delays.append(timedelta(seconds=float(match[1]) * _UNITS[match[2]]))
    return tuple(delays)


def next_attempt(
    schedule: Sequence[timedelta],
    attempts: int,
    *,
    now: datetime,
    retry_after: timedelta | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """When to try again after ``attempts`` failed attempts, or None when the schedule is used up.

    A ``Retry-After`` from the receiver replaces the scheduled delay (capped at a day), without jitter.
    """
    if attempts > len(schedule):
        return None
    if retry_after is not None:
        return now + min(max(retry_after, timedelta(0)), MAX_RETRY_AFTER)
    delay = schedule[attempts - 1]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return now + delay * factor


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as a delay; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() also says yes to '²', which int() refuses
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))
