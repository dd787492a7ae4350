"""Where a parcel waits now: the facility of its latest scan, and since when it has been there.

Kept with the parcel's status (``ParcelState.stay``; columns ``stay_facility`` and ``stay_since``), so the
"dwelling now" queue is a count over the projection instead of a replay of every open parcel's events
(docs/analytics.md, "Dwelling now"). ``current_stay`` defines it over a replayed timeline; ``stay_after`` moves
it for an event that happened after every other, and equals ``current_stay`` over the timeline with that event
at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from ordertrail.domain.scanning.derivation import TimelineEntry
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.transitions import Effect


class Visit(NamedTuple):
    """A parcel's first visit to a facility, once it has left: from its first scan there to its next scan
    anywhere else (one naming another facility or none)."""

    facility: str
    since: datetime
    until: datetime  # the instant of the scan that ended it, with that place's offset: ``.date()`` is local

    @property
    def hours(self) -> float:
        """Negative when the visit "ended" before it began (an order_placed replays first whatever its instant)."""
        return (self.until - self.since).total_seconds() / 3600


class Stay(NamedTuple):
    """The facility of a parcel's latest scan, since the first scan of this visit there."""

    facility: str
    since: datetime


def scans_of(timeline: Sequence[TimelineEntry]) -> list[TimelineEntry]:
    """The scans that say where a parcel was: every event but voided ones and corrections (a repeated or
    regressive scan still saw the parcel there)."""
    return [entry for entry in timeline if entry.effect not in (Effect.VOIDED, Effect.CORRECTION)]


def first_visits(scans: Sequence[TimelineEntry]) -> list[Visit]:
    """The first visit to each facility the parcel has left, in the order they began. A second visit is not
    one; a facility it is still at (or never left) has none."""
    found: list[Visit] = []
    seen: set[str] = set()
    for i, entry in enumerate(scans):
        facility = entry.event.location.facility
        if not facility or facility in seen:
            continue
        seen.add(facility)
        end = next((e for e in scans[i + 1 :] if e.event.location.facility != facility), None)
        if end is not None:
            found.append(Visit(facility, entry.event.occurred_at, end.event.occurred_at))
    return found


def ended_visit(before: Stay | None, after: Stay | None, event: ScanEvent) -> Visit | None:
    """The visit ``event`` ended, when it moved the latest scan's facility (in order: the same rule as
    ``first_visits``, except that whether it was the first visit there is for the store to keep)."""
    if before is None or (after is not None and after.facility == before.facility):
        return None
    return Visit(before.facility, before.since, event.occurred_at)


def current_stay(scans: Sequence[TimelineEntry]) -> Stay | None:
    """The facility of the latest scan and when this visit began (the first of the latest scans in a row
    there); None when the latest scan names no facility."""
    if not scans or not (facility := scans[-1].event.location.facility):
        return None
    first = len(scans) - 1
    while first > 0 and scans[first - 1].event.location.facility == facility:
        first -= 1
    return Stay(facility, scans[first].event.occurred_at)


def stay_after(stay: Stay | None, event: ScanEvent) -> Stay | None:
    """The stay once ``event`` (not a correction, later than every other scan) is the latest scan."""
    facility = event.location.facility
    if not facility:
        return None
    if stay is not None and stay.facility == facility:
        return stay  # another scan in the same visit
    return Stay(facility, event.occurred_at)
