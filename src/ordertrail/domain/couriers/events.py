"""A courier's event as ordertrail receives it, and the scan it becomes on the parcel's timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from ordertrail.domain.couriers.mapping import StatusMapping
from ordertrail.domain.scanning.events import NOWHERE, Location
from ordertrail.domain.scanning.scans import ScanInput

# Courier events get ordertrail event ids derived from (courier, the courier's own event id): a courier that sends
# an event twice sends the same ordertrail event, so duplicates and conflicts follow the scan rules exactly.
_EVENT_NAMESPACE: Final = uuid.UUID("5d2c3f0e-6a57-4c1b-9a0e-2f6b1c7e9d41")


@dataclass(frozen=True, slots=True)
class CourierEvent:
    """One event in a courier's words, validated for shape; ``body_hash`` is the hash of its canonical JSON."""

    courier: str
    courier_event_id: str
    tracking_number: str  # the courier's number, normalized
    code: str
    occurred_at: datetime
    body_hash: str
    description: str | None = None
    location: Location = NOWHERE
    vocabulary: str | None = None  # the aggregator whose codes ``code`` is in; None: the courier's own

    @property
    def speaks(self) -> str:
        """Whose mapping file ``code`` is looked up in: the aggregator's, else the courier's."""
        return self.vocabulary or self.courier

    @property
    def event_id(self) -> str:
        """The ordertrail event id of this courier event."""
        return str(uuid.uuid5(_EVENT_NAMESPACE, f"{self.courier}\x1f{self.courier_event_id}"))


def to_scan(event: CourierEvent, mapping: StatusMapping, *, parcel_number: str) -> ScanInput:
    """The scan a courier event is recorded as, on the parcel with ordertrail number ``parcel_number``.

    The courier's description goes in the note: notes are never public, and couriers' texts carry names
    ("signed for by …").
    """
    return ScanInput(
        event_id=event.event_id,
        tracking_number=parcel_number,
        status=mapping.status,
        occurred_at=event.occurred_at,
        body_hash=event.body_hash,
        substatus=mapping.substatus,
        # The courier's depots are not ordertrail facilities: only the place is kept.
        location=event.location._replace(facility=None),
        note=event.description,
        reason=mapping.reason,
    )
