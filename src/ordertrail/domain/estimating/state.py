"""A parcel's estimate state: where it is on its lane, its current window and overlays, and how scans move it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple


class PendingDelivery(NamedTuple):
    """A delivered parcel taken by the learning job: whether it is learned already, and its destination."""

    parcel_id: int
    learned: bool
    country: str
    area: str


@dataclass(slots=True)
class EtaRow:
    """A parcel's estimate state (mutable: the estimate update edits it, then it is saved with the parcel)."""

    parcel_id: int
    origin: str | None = None
    origin_at: datetime | None = None
    step: str | None = None
    step_started_at: datetime | None = None
    hubs: int = 0
    earliest: date | None = None
    latest: date | None = None
    likely: date | None = None
    confidence: float | None = None
    basis: str | None = None
    estimated_at: datetime | None = None
    promise: date | None = None
    delayed: bool = False
    delay_reason: str | None = None
    stall_after: datetime | None = None
    stalled_at: datetime | None = None
    learned: bool = False
    country: str = ""  # empty: never estimated (its lane's destination is not known here yet)
    area: str = ""
    watched: bool = False  # on its way with an estimate: the stalled-parcel sweep looks at it
    learn_pending: bool = False  # delivered, not yet in the lane statistics: the learning job takes it
