"""Scan events: append-only rows, read back as domain events; unmatched scans; proofs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, insert, select

from ordertrail.domain.scanning.events import Location, ScanEvent, StoredScan
from ordertrail.domain.scanning.scans import NewEvent, Proof
from ordertrail.storage.compiled import Compiled, any_of
from ordertrail.storage.tables import scan_event, scan_proof, unmatched_scan

_EVENT_COLUMNS = (
    scan_event.c.event_id,
    scan_event.c.parcel_id,
    scan_event.c.sequence,
    scan_event.c.status,
    scan_event.c.substatus,
    scan_event.c.occurred_at,
    scan_event.c.occurred_offset_minutes,
    scan_event.c.recorded_at,
    scan_event.c.facility,
    scan_event.c.city,
    scan_event.c.region,
    scan_event.c.postal_code,
    scan_event.c.country,
    scan_event.c.lat,
    scan_event.c.lon,
    scan_event.c.note,
    scan_event.c.reason,
    scan_event.c.voids_event_id,
)

# Every replay (late scans, corrections, learning deliveries, tracking pages) reads all of a parcel's events:
# below Core (compiled.py), one statement for any number of parcels.
_EVENTS_OF = Compiled(
    select(*_EVENT_COLUMNS)
    .where(any_of(scan_event.c.parcel_id, "ids"))
    .order_by(scan_event.c.parcel_id, scan_event.c.sequence)
)
# The ingest path's statements run below Core (compiled.py): one statement for any number of ids.
_KNOWN_EVENTS = Compiled(
    select(scan_event.c.event_id, scan_event.c.body_hash, scan_event.c.parcel_id).where(
        any_of(scan_event.c.event_id, "ids")
    )
)
_KNOWN_UNMATCHED = Compiled(
    select(unmatched_scan.c.event_id, unmatched_scan.c.body_hash, unmatched_scan.c.tracking_number).where(
        any_of(unmatched_scan.c.event_id, "ids"), unmatched_scan.c.attached_at.is_(None)
    )
)
# Values in this order in each row (``_event_row``).
_INSERT_COLUMNS = (
    *(c.name for c in _EVENT_COLUMNS),
    "api_key_id",
    "body_hash",
    "has_proof",
)
_INSERT_EVENT = Compiled(insert(scan_event).inline(), column_keys=_INSERT_COLUMNS)

_OFFSETS: dict[int, timezone] = {}


def _zone(offset_minutes: int) -> timezone:
    zone = _OFFSETS.get(offset_minutes)
    if zone is None:
        zone = _OFFSETS[offset_minutes] = timezone(timedelta(minutes=offset_minutes))
    return zone


def offset_minutes(moment: datetime) -> int:
    """The UTC offset of an aware datetime, in whole minutes."""
    offset = moment.utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


def _event(row: Any) -> ScanEvent:
    # Unpacked in ``_EVENT_COLUMNS`` order: access by name on a Row cost as much as building the event, and
    # replays (late scans, corrections, learning deliveries, tracking pages) read every event of a parcel.
    (event_id, _, sequence, status, substatus, occurred_at, offset, recorded_at, facility, city, region, postal_code,
     country, lat, lon, note, reason, voids_event_id) = row  # fmt: skip
    return ScanEvent(
        event_id,
        sequence,
        status,
        occurred_at.astimezone(_zone(offset)),
        recorded_at,
        substatus,
        Location(facility, city, region, postal_code, country, lat, lon),
        note,
        reason,
        voids_event_id,
    )


def events_of(connection: Connection, parcel_ids: Iterable[int]) -> dict[int, list[ScanEvent]]:
    """All events of the given parcels, by parcel id, in sequence order."""
    ids = list(parcel_ids)
    found: dict[int, list[ScanEvent]] = defaultdict(list)
    if not ids:
        return found
    for row in _EVENTS_OF.fetch_all(connection, {"ids": ids}):
        found[row[1]].append(_event(row))  # row[1]: parcel_id
    return found


def known_event_ids(connection: Connection, event_ids: Sequence[str]) -> dict[str, StoredScan]:
    """Stored scans (matched or not) among ``event_ids``."""
    if not event_ids:
        return {}
    found: dict[str, StoredScan] = {}
    ids = {"ids": list(event_ids)}
    for event_id, body_hash, parcel_id in _KNOWN_EVENTS.fetch_all(connection, ids):
        found[event_id] = StoredScan(event_id, body_hash, parcel_id)
    for event_id, body_hash, tracking_number in _KNOWN_UNMATCHED.fetch_all(connection, ids):
        found.setdefault(event_id, StoredScan(event_id, body_hash, None, tracking_number))
    return found


def append_events(connection: Connection, new_events: Sequence[NewEvent]) -> None:
    """Append events (and their proofs) in one round trip each."""
    if not new_events:
        return
    _INSERT_EVENT.execute_many(connection, [_event_row(item) for item in new_events])
    proofs = [
        {
            "event_id": item.event.event_id,
            "recipient_name": item.proof.recipient_name,
            "signature_png": item.proof.signature_png,
            "photo_jpeg": item.proof.photo_jpeg,
        }
        for item in new_events
        if item.proof is not None
    ]
    if proofs:
        connection.execute(insert(scan_proof), proofs)


def _event_row(item: NewEvent) -> tuple[Any, ...]:
    event, where = item.event, item.event.location
    return (
        event.event_id, item.parcel_id, event.sequence, event.status, event.substatus, event.occurred_at,
        offset_minutes(event.occurred_at), event.recorded_at, where.facility, where.city, where.region,
        where.postal_code, where.country, where.lat, where.lon, event.note, event.reason, event.voids_event_id,
        item.api_key_id, item.body_hash, item.proof is not None,
    )  # fmt: skip


def proofs_of(connection: Connection, event_ids: Sequence[str]) -> dict[str, Proof]:
    """Proofs of delivery of the given events."""
    if not event_ids:
        return {}
    rows = connection.execute(select(scan_proof).where(scan_proof.c.event_id.in_(event_ids)))
    return {
        row.event_id: Proof(
            recipient_name=row.recipient_name, signature_png=row.signature_png, photo_jpeg=row.photo_jpeg
        )
        for row in rows
    }
