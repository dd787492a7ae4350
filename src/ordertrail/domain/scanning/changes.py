"""What recording an event changed: the facts that live updates, notifications and estimates react to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.transitions import Effect


class EstimateSnapshot(NamedTuple):
    """A parcel's current delivery estimate and delay overlay, as committed with a change (for live pages).

    A named tuple: immutable like a frozen dataclass, and four times cheaper to make (one per scan).
    """

    earliest: date
    latest: date
    confidence: float
    updated_at: datetime
    delay_reason: str | None  # None: not delayed


@dataclass(slots=True)
class ParcelChange:
    """A new event of a parcel, with the parcel's status before and after it (committed together).

    Not frozen: the estimate step of the same transaction fills in ``estimate`` (building a copy per scan cost
    more than the estimate itself). Nothing changes it after the transaction.
    """

    parcel_id: int
    order_id: int
    merchant_id: int
    tracking_number: str
    event: ScanEvent
    effect: Effect  # what the event did when replayed in occurred_at order
    late: bool  # it arrived after an event that happened later
    previous_status: str
    status: str
    substatus: str | None
    status_version: int
    # The estimate after this transaction (None: estimates off, not estimated, or no longer on its way).
    estimate: EstimateSnapshot | None = None

    @property
    def status_changed(self) -> bool:
        return self.status != self.previous_status
