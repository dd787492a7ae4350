"""A courier's event as ordertrail receives it, and the scan it becomes on the parcel's timeline."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final

from ordertrail.domain.couriers.mapping import StatusMapping
from ordertrail.domain.scanning.events import NOWHERE, Location
from ordertrail.domain.scanning.scans import ScanInput
from ordertrail.domain.scanning.status import CORRECTION

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
    # The ordertrail event id of this courier event: derived once (a batch asks for it several times per event).
    event_id: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "event_id", str(uuid.uuid5(_EVENT_NAMESPACE, f"{self.courier}\x1f{self.courier_event_id}"))
        )

    @property
    def speaks(self) -> str:
        """Whose mapping file ``code`` is looked up in: the aggregator's, else the courier's."""
        return self.vocabulary or self.courier


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


def remapped(
    event: CourierEvent, mapping: StatusMapping, *, parcel_number: str, standing_event_id: str, now: datetime
) -> tuple[ScanInput, ScanInput]:
    """The two scans that re-derive a courier event under a new mapping of its code: a replacement with the new
    meaning at the event's own time, and a correction (at ``now``) voiding ``standing_event_id``, the scan that
    stood for it until now.

    Both ids derive from the standing id and the new meaning, so re-deriving again after a crash or a retry records
    nothing twice, and a code mapped back and forth gets a fresh replacement each time.
    """
    meaning = f"{mapping.status.value}\x1f{mapping.reason or ''}\x1f{mapping.substatus or ''}"
    replacement_id = str(uuid.uuid5(_EVENT_NAMESPACE, f"{standing_event_id}\x1fremapped\x1f{meaning}"))
    correction_id = str(uuid.uuid5(_EVENT_NAMESPACE, f"{replacement_id}\x1fvoids"))
    replacement = replace(
        to_scan(event, mapping, parcel_number=parcel_number),
        event_id=replacement_id,
        body_hash=_hash(f"{event.body_hash}\x1f{replacement_id}"),
    )
    correction = ScanInput(
        event_id=correction_id,
        tracking_number=parcel_number,
        status=CORRECTION,
        occurred_at=now,
        body_hash=_hash(correction_id),
        note=f"{event.courier} code {event.code!r} mapped anew: recorded again as {mapping.status.value}",
        voids_event_id=standing_event_id,
    )
    return replacement, correction


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
