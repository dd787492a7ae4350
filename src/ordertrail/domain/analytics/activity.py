"""Scan activity (docs/analytics.md, "Scan activity"): scans per active hour per facility and per scanner device,
and per device the share of its scans that repeated the parcel's status (duplicates) or came in after a scan of
the same parcel that happened later (late, out of order): signals of bad scanning habits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from ordertrail.domain.analytics.figures import Rate
from ordertrail.domain.analytics.journeys import ParcelRecord
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.scanning.transitions import Effect

# A scan recorded without a scanner key (a staff entry, an import) is the "device" NO_DEVICE.
NO_DEVICE: Final = "-"


@dataclass(frozen=True, slots=True)
class Activity:
    """The scans of one facility or device in the period."""

    scans: int
    active_hours: int  # local clock hours (date and hour where it happened) with at least one of its scans
    duplicates: Rate
    late: Rate

    @property
    def per_hour(self) -> float | None:
        return None if self.active_hours == 0 else self.scans / self.active_hours


@dataclass(slots=True)
class _Tally:
    scans: int = 0
    duplicates: int = 0
    late: int = 0
    hours: set[tuple[date, int]] | None = None

    def add(self, day: date, hour: int, *, duplicate: bool, late: bool) -> None:
        self.scans += 1
        self.duplicates += duplicate
        self.late += late
        if self.hours is None:
            self.hours = set()
        self.hours.add((day, hour))

    def activity(self) -> Activity:
        return Activity(
            self.scans, len(self.hours or ()), Rate(self.duplicates, self.scans), Rate(self.late, self.scans)
        )


@dataclass(frozen=True, slots=True)
class ScanActivity:
    facilities: dict[str, Activity]  # by name; scans naming no facility are not in this table
    devices: dict[str, Activity]  # by the scanner key's name (NO_DEVICE: none recorded)


def scan_activity(records: Iterable[ParcelRecord], devices: Mapping[str, str | None], period: Period) -> ScanActivity:
    """Every scan (each stored event but the order's placing and corrections; a voided scan was still made) whose
    local date is in ``period``. ``devices``: event id -> the name of the scanner key that sent it."""
    facilities: dict[str, _Tally] = defaultdict(_Tally)
    by_device: dict[str, _Tally] = defaultdict(_Tally)
    for record in records:
        effects = {entry.event.event_id: entry.effect for entry in derive(record.events).timeline}
        scans = sorted((e for e in record.events if not e.is_correction), key=lambda e: e.sequence)
        latest_seen = None
        for event in scans:
            late = latest_seen is not None and event.occurred_at < latest_seen
            if latest_seen is None or event.occurred_at > latest_seen:
                latest_seen = event.occurred_at
            local = event.occurred_at
            if local.date() not in period or event.status == Status.ORDER_PLACED:
                continue  # placing the order is no scan (it still dates what came after)
            duplicate = effects.get(event.event_id) is Effect.REPEAT
            facility = event.location.facility
            if facility:
                facilities[facility].add(local.date(), local.hour, duplicate=duplicate, late=late)
            device = devices.get(event.event_id) or NO_DEVICE
            by_device[device].add(local.date(), local.hour, duplicate=duplicate, late=late)
    return ScanActivity(
        {name: t.activity() for name, t in sorted(facilities.items())},
        {name: t.activity() for name, t in sorted(by_device.items())},
    )
