"""What every use case needs: the store, the clock, and who to tell after a commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.services.estimating.runtime import EtaRuntime
from ordertrail.storage.database import Database

Listener = Callable[[Sequence[ParcelChange]], Awaitable[None]]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """The ports the use cases run against. Built once by the composition root (``create_app`` or the CLI)."""

    db: Database
    clock: Callable[[], datetime] = system_clock
    # Called after each commit that recorded events (live updates); never inside the transaction.
    after_commit: list[Listener] = field(default_factory=list)
    # Delivery estimates (services/estimates.py); None turns them off (ORDERTRAIL_ESTIMATES=false).
    estimates: EtaRuntime | None = field(default_factory=EtaRuntime)

    async def committed(self, changes: Sequence[ParcelChange]) -> None:
        if changes:
            for listener in self.after_commit:
                await listener(changes)
