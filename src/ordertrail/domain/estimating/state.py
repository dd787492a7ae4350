"""A parcel's estimate state: where it is on its lane, its current window and overlays, and how events move it.

Kept on the parcel's row and changed by the transaction that records its events. Scans move it along its steps
without reading the parcel's other events (``advance``); corrections and some late events replay them
(``replay``). Pure: the estimate itself comes from ``estimator.py``, the revision rules from ``revisions.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from operator import attrgetter
from typing import Any, NamedTuple

from ordertrail.domain.estimating.journey import hub_step, origin_facility, visits_of
from ordertrail.domain.scanning.changes import EstimateSnapshot, ParcelChange
from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.scanning.transitions import Effect


@dataclass(slots=True)
class EstimateState:
    """A parcel's estimate state (mutable: the transaction's estimate update edits it, then it is saved)."""

    parcel_id: int
    origin: str | None = None  # the facility of its first located scan
    origin_at: datetime | None = None
    step: str | None = None  # e.g. in_transit.2 (journey.py)
    step_started_at: datetime | None = None
    hubs: int = 0  # hub scans applied so far
    earliest: date | None = None  # the current window (None: none, or no longer on its way)
    latest: date | None = None
    likely: date | None = None
    confidence: float | None = None
    basis: str | None = None
    estimated_at: datetime | None = None  # when the current window was made
    promise: date | None = None  # the order's promised date, else the first window's latest
    delayed: bool = False
    delay_reason: str | None = None
    stall_after: datetime | None = None  # flagged stalled if no scan comes before this
    stalled_at: datetime | None = None
    learned: bool = False  # its delivery is in the lane statistics
    country: str = ""  # the destination's part of its lane; empty: never estimated yet
    area: str = ""
    watched: bool = False  # on its way with an estimate: the stalled-parcel sweep looks at it
    learn_pending: bool = False  # delivered, not yet in the lane statistics: the learning job takes it
    courier: str | None = None  # the courier it was handed to, and its service level: part of its lane
    service_level: str | None = None

    def values(self) -> tuple[Any, ...]:
        """Every field but the parcel id, in ``FIELDS`` order (cheap to compare: what a transaction changed)."""
        return _values(self)

    def advance(self, changes: Iterable[ParcelChange]) -> None:
        """Move the parcel along its steps without reading its events (everything but corrections)."""
        for change in changes:
            event = change.event
            if event.location.facility and (self.origin_at is None or event.occurred_at < self.origin_at):
                self.origin, self.origin_at = event.location.facility, event.occurred_at
            if change.effect is not Effect.APPLIED:
                continue
            if self.step_started_at is not None and event.occurred_at < self.step_started_at:
                # It happened before the current step began: the step stays; an earlier hub renumbers it.
                if event.status == Status.IN_TRANSIT:
                    self.hubs += 1
                    if self.step is not None and self.step.startswith(Status.IN_TRANSIT.value):
                        self.step = hub_step(self.hubs)
                continue
            if event.status == Status.IN_TRANSIT:
                self.hubs += 1
                self.step = hub_step(self.hubs)
            else:
                self.step = str(event.status)
            self.step_started_at = event.occurred_at

    def replay(self, events: Sequence[ScanEvent]) -> None:
        """Set the steps from all of the parcel's events (after a correction or a late event)."""
        visits = visits_of(derive(events))
        if visits:
            self.step, self.step_started_at = visits[-1].step, visits[-1].started_at
        self.hubs = sum(1 for v in visits if v.step.startswith(Status.IN_TRANSIT.value))
        self.origin = origin_facility(events)
        located = [e for e in events if e.location.facility and not e.is_correction]
        self.origin_at = min((e.occurred_at for e in located), default=None)

    def needs_events(self, changes: Sequence[ParcelChange]) -> bool:
        """Whether ``advance`` cannot follow these changes: a correction changes the past; a late event needs the
        events only when it happened after the current step began (it may have begun a step after it)."""
        applied = False
        for c in changes:  # one plain loop: this runs for every scan
            if c.effect is Effect.CORRECTION:
                return True
            if c.late and (self.step_started_at is None or c.event.occurred_at >= self.step_started_at):
                return True
            applied = applied or c.effect is Effect.APPLIED
        # A parcel from before estimates existed, and nothing here tells where it is now.
        return self.step is None and not applied

    def clear_window(self) -> None:
        """Delivered, returned, cancelled: no window, no overlays (nothing to announce: the status says it all)."""
        self.earliest = self.latest = self.likely = None
        self.confidence = None
        self.basis = None
        self.delayed = False
        self.delay_reason = None
        self.stall_after = None
        self.watched = False

    def snapshot(self) -> EstimateSnapshot | None:
        """The public part: the window and the delay overlay (None when there is no window)."""
        if self.earliest is None or self.latest is None or self.estimated_at is None:
            return None
        # earliest, latest, confidence, updated_at, delay_reason (positional: made for every scan)
        return EstimateSnapshot(
            self.earliest,
            self.latest,
            self.confidence or 0.0,
            self.estimated_at,
            self.delay_reason if self.delayed else None,
        )


FIELDS = tuple(f.name for f in fields(EstimateState))[1:]  # without parcel_id
_values = attrgetter(*FIELDS)


class PendingDelivery(NamedTuple):
    """A delivered parcel taken by the learning job: whether it is learned already, its destination and its
    courier (with the service level) if it was handed to one."""

    parcel_id: int
    learned: bool
    country: str
    area: str
    courier: str | None = None
    service_level: str | None = None
