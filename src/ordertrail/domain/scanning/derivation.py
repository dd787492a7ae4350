"""A parcel's status and timeline as a pure function of the *set* of its events.

Events are replayed in the order they happened (``occurred_at``), never the order they arrived, so late,
duplicated and out-of-order scans give the same answer whatever order they are stored or passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.status import CORRECTION, MAIN_MILESTONES, STATUS_BY_VALUE, Status
from ordertrail.domain.scanning.transitions import RANK, Effect, judge

# Tie-break for events that happened at the same instant: the natural order of the lifecycle.
_LIFECYCLE_ORDER: dict[str, int] = {
    **{status.value: i for i, status in enumerate(MAIN_MILESTONES)},
    Status.DELIVERY_ATTEMPTED: 5,
    Status.AVAILABLE_FOR_PICKUP: 5,
    Status.EXCEPTION: 4,
    Status.RETURNING: 7,
    Status.RETURNED: 8,
    Status.CANCELLED: 8,
    CORRECTION: 9,
}


def order_key(event: ScanEvent) -> tuple[bool, datetime, int, datetime, str]:
    """The deterministic replay order: ``order_placed`` first, then when it happened, lifecycle order, arrival
    and event id.

    ``order_placed`` opens every parcel's log even when a scan is dated before it (a shop clock behind the
    carrier's, or the same second given without its fraction): otherwise that scan would move the parcel before
    it exists, the "Order placed" step would vanish, and the notifications would follow a different story than
    the status.
    """
    return (
        event.status != Status.ORDER_PLACED,
        event.occurred_at,
        _LIFECYCLE_ORDER[event.status],
        event.recorded_at,
        event.event_id,
    )


class TimelineEntry(NamedTuple):
    """An event in replay order, with what it did and whether it arrived out of order.

    (A named tuple, like ``ScanEvent``: every replay makes one per event.)
    """

    event: ScanEvent
    effect: Effect
    late: bool

    @property
    def public(self) -> bool:
        """Corrections and the events they voided are not shown to customers."""
        return self.effect not in (Effect.VOIDED, Effect.CORRECTION)


@dataclass(frozen=True, slots=True)
class Derivation:
    """The derived state of a parcel."""

    status: Status
    substatus: str | None
    furthest_rank: int
    last_applied: ScanEvent | None
    timeline: tuple[TimelineEntry, ...]

    def reached_at(self) -> dict[Status, datetime | None]:
        """Each main milestone with the time the parcel first reached it (``None`` if never scanned)."""
        reached: dict[Status, datetime | None] = dict.fromkeys(MAIN_MILESTONES)
        for entry in self.timeline:
            status = entry.event.status
            if entry.effect is Effect.APPLIED and status in reached and reached[STATUS_BY_VALUE[status]] is None:
                reached[STATUS_BY_VALUE[status]] = entry.event.occurred_at
        return reached


def _late_event_ids(events: list[ScanEvent]) -> set[str]:
    """Events recorded after another event of the parcel that replays after them (occurred later, not order_placed)."""
    late: set[str] = set()
    by_arrival = sorted(events, key=lambda e: (e.recorded_at, e.event_id))
    latest_before: datetime | None = None  # max occurred_at among events recorded strictly earlier
    group_max: datetime | None = None
    group_at: datetime | None = None
    for event in by_arrival:
        if event.recorded_at != group_at:
            if group_max is not None and (latest_before is None or group_max > latest_before):
                latest_before = group_max
            group_at, group_max = event.recorded_at, None
        if latest_before is not None and event.occurred_at < latest_before:
            late.add(event.event_id)
        # order_placed replays first whatever its instant, so a scan dated before it is not late on its account.
        if event.status != Status.ORDER_PLACED and (group_max is None or event.occurred_at > group_max):
            group_max = event.occurred_at
    return late


def derive(events: Iterable[ScanEvent]) -> Derivation:
    """Replay a parcel's events (any order, duplicates allowed) into its status and timeline."""
    unique = list({event.event_id: event for event in events}.values())
    voided = {e.voids_event_id for e in unique if e.status == CORRECTION and e.voids_event_id}
    late = _late_event_ids([e for e in unique if e.status != CORRECTION])

    status = Status.ORDER_PLACED
    substatus: str | None = None
    furthest = 0
    last_applied: ScanEvent | None = None
    timeline: list[TimelineEntry] = []
    for event in sorted(unique, key=order_key):
        if event.status == CORRECTION:
            effect = Effect.CORRECTION
        elif event.event_id in voided:
            effect = Effect.VOIDED
        elif last_applied is None and event.status == Status.ORDER_PLACED:
            effect = Effect.APPLIED  # the first event of every parcel
        else:
            effect = judge(status, furthest, STATUS_BY_VALUE[event.status])
        if effect is Effect.APPLIED:
            status = STATUS_BY_VALUE[event.status]
            substatus = event.substatus
            furthest = max(furthest, RANK.get(status, furthest))
            last_applied = event
        timeline.append(TimelineEntry(event, effect, event.event_id in late))
    return Derivation(
        status=status,
        substatus=substatus,
        furthest_rank=furthest,
        last_applied=last_applied,
        timeline=tuple(timeline),
    )
