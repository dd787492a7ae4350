"""What recording an event changed: the facts that live updates, notifications and estimates react to."""

from __future__ import annotations

from dataclasses import dataclass

from ordertrail.domain.events import ScanEvent
from ordertrail.domain.transitions import Effect


@dataclass(frozen=True, slots=True)
class ParcelChange:
    """A new event of a parcel, with the parcel's status before and after it (committed together)."""

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

    @property
    def status_changed(self) -> bool:
        return self.status != self.previous_status
