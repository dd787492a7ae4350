"""How long a parcel spent in each step and at each facility, and where it is waiting now (docs/analytics.md,
"Time in each step" and "Dwell per facility").

Both read the replayed timeline (``derive``), so they agree with the parcel's status: voided events and
corrections count for nothing, and events are taken in the order they happened, not the order they arrived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final, NamedTuple

from ordertrail.domain.scanning.derivation import TimelineEntry, derive
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.status import MAIN_MILESTONES, TERMINAL, Status
from ordertrail.domain.scanning.stay import Stay, current_stay, first_visits, scans_of
from ordertrail.domain.scanning.transitions import Effect

# The steps whose time is measured: every main-path status between the order and its delivery.
STEPS: Final[tuple[Status, ...]] = (
    Status.PROCESSING,
    Status.PACKED,
    Status.DISPATCHED,
    Status.IN_TRANSIT,
    Status.OUT_FOR_DELIVERY,
)
_MAIN_RANK: Final[dict[str, int]] = {status.value: rank for rank, status in enumerate(MAIN_MILESTONES)}


class Span(NamedTuple):
    """A measured stay: its hours, and the instant it ended (with that place's offset: ``.date()`` is local)."""

    hours: float
    ended_at: datetime


def _span(start: datetime, end: datetime) -> Span | None:
    # order_placed replays first even when a scan is dated before it: such an end is no duration to report.
    return None if end < start else Span((end - start).total_seconds() / 3600, end)


def step_spans(timeline: Sequence[TimelineEntry]) -> dict[str, Span]:
    """Per step (by status value): from its first applied event to the next applied event of a later main-path
    step. A step the parcel has not left yet, or never had, is absent."""
    applied = [entry.event for entry in timeline if entry.effect is Effect.APPLIED]
    found: dict[str, Span] = {}
    for step in STEPS:
        start = next((i for i, event in enumerate(applied) if event.status == step), None)
        if start is None:
            continue
        rank = _MAIN_RANK[step]
        # A later step only: another hub scan (in transit again) or an exception does not end "in transit".
        end = next((e for e in applied[start + 1 :] if _MAIN_RANK.get(e.status, -1) > rank), None)
        if end is not None and (span := _span(applied[start].occurred_at, end.occurred_at)) is not None:
            found[step.value] = span
    return found


def dwell_spans(scans: Sequence[TimelineEntry]) -> dict[str, Span]:
    """Per facility: from the parcel's first scan there to its next scan anywhere else (a scan naming another
    facility or none; ``first_visits``). A facility it has not left yet is absent; a second visit is not measured
    again, and a visit that ended before it began is no duration."""
    found: dict[str, Span] = {}
    for visit in first_visits(scans):
        if (span := _span(visit.since, visit.until)) is not None:
            found[visit.facility] = span
    return found


def stay_of(events: Sequence[ScanEvent]) -> Stay | None:
    """Where a parcel waits now, from its events alone (the queue needs nothing else of its journey): None once it
    is delivered, returned or cancelled."""
    derivation = derive(events)
    return None if derivation.status in TERMINAL else current_stay(scans_of(derivation.timeline))


def is_dwelling(stay: Stay | None, p90_hours: Mapping[str, float], now: datetime) -> bool:
    """Whether a stay has lasted longer than its facility's p90 (a facility with no measured dwell has none)."""
    if stay is None or (limit := p90_hours.get(stay.facility)) is None:
        return False
    return (now - stay.since).total_seconds() / 3600 > limit
