"""What the use cases that record events need besides the store and the clock: who to tell after a commit, and
the process's estimate runtime."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection

from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.scans import ScanInput
from ordertrail.services.estimating.runtime import EstimateRuntime
from ordertrail.services.ports import Listener, Ports


class HandoverRecorder(Protocol):
    """Records the handovers that dispatch scans carried, in the scan's transaction (the couriers room's
    ``record_carried``; the scanning room below it cannot reach it)."""

    def __call__(
        self,
        connection: Connection,
        carried: Sequence[tuple[Parcel, ScanInput]],
        *,
        now: datetime,
        estimates: EstimateRuntime | None,
    ) -> list[ParcelChange]: ...


@dataclass
class Services(Ports):
    """The ports the use cases run against. Built once by the composition root (``runtime.py``)."""

    # Called after each commit that recorded events (live updates); never inside the transaction.
    after_commit: list[Listener] = field(default_factory=list)
    # Delivery estimates (services/estimating/); None turns them off (ORDERTRAIL_ESTIMATES=false).
    estimates: EstimateRuntime | None = field(default_factory=EstimateRuntime)
    # Set by the composition root (runtime.py); without it a dispatch scan's carrier block is refused.
    handovers: HandoverRecorder | None = None

    async def committed(self, changes: Sequence[ParcelChange]) -> None:
        if changes:
            for listener in self.after_commit:
                await listener(changes)
