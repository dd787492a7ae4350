"""What every use case runs against: the store and the clock (the rooms below estimating need nothing more)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.storage.database import Database

# Told about each commit that recorded events (live updates), after it: never inside the transaction.
Listener = Callable[[Sequence[ParcelChange]], Awaitable[None]]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Ports:
    """The store and the clock. ``Services`` (``context.py``) adds what recording events needs."""

    db: Database
    clock: Callable[[], datetime] = system_clock
