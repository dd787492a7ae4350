"""Hand-made parcel journeys for the ETA tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ordertrail.domain.scanning.events import Location, ScanEvent
from ordertrail.domain.scanning.status import Status

S = Status
MAIN_PATH = (
    S.ORDER_PLACED,
    S.PROCESSING,
    S.PACKED,
    S.DISPATCHED,
    S.IN_TRANSIT,
    S.IN_TRANSIT,
    S.OUT_FOR_DELIVERY,
    S.DELIVERED,
)


def journey(
    start: datetime,
    gaps_hours: Sequence[float],
    *,
    statuses: Sequence[Status] = MAIN_PATH,
    origin: str = "Warehouse A",
    tag: str = "p",
) -> list[ScanEvent]:
    """Events along ``statuses``, the first at ``start`` and each next one ``gaps_hours`` later."""
    events: list[ScanEvent] = []
    at = start
    for index, status in enumerate(statuses):
        if index:
            at += timedelta(hours=gaps_hours[(index - 1) % len(gaps_hours)])
        facility = origin if index < 4 else f"Hub {index}"
        events.append(
            ScanEvent(
                event_id=f"{tag}-{index}",
                sequence=index + 1,
                status=status,
                occurred_at=at,
                recorded_at=at,
                location=Location(facility=facility),
            )
        )
    return events
