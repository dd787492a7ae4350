"""Scan events as recorded: what happened to a parcel, where and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from ordertrail.domain.scanning.status import CORRECTION, EventStatus

# Named tuples, not frozen dataclasses: every replay (tracking pages, late scans, learning deliveries) makes
# one of each per stored event, and a frozen dataclass costs about three times as much to make.


class Location(NamedTuple):
    """Where a scan happened. Only city, region and country are ever public."""

    facility: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None


NOWHERE = Location()


class ScanEvent(NamedTuple):
    """One stored event of a parcel. ``occurred_at`` keeps the offset of the place where it happened."""

    event_id: str
    sequence: int
    status: EventStatus
    occurred_at: datetime
    recorded_at: datetime
    substatus: str | None = None
    location: Location = NOWHERE
    note: str | None = None
    reason: str | None = None
    voids_event_id: str | None = None

    @property
    def is_correction(self) -> bool:
        return self.status == CORRECTION


@dataclass(frozen=True, slots=True)
class StoredScan:
    """What is kept of an event id already used: to answer a retry or spot a conflicting reuse."""

    event_id: str
    body_hash: str
    parcel_id: int | None  # None while unmatched
    tracking_number: str | None = None
