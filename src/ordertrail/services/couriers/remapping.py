"""Re-deriving the parcels whose courier events a new mapping of their code changes (caller's transaction).

The event log stays append-only: each affected courier event gets a replacement scan with the new meaning at the
event's own time, and a correction voiding the scan that stood for it (``domain/couriers/events.remapped``).
Both go through the scan transaction, so the parcel's status, tracking document, estimates and notifications
follow exactly as if the courier had sent the event so mapped: a parcel whose unmapped code meant "delivered"
becomes delivered, its customer is emailed and the merchant's webhook fires, while a replacement that happened
before the parcel's latest event is late and notifies no one, like any late scan.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from ordertrail.domain.couriers.events import remapped
from ordertrail.domain.couriers.mapping import StatusMapping
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.scans import Outcome, ScanInput
from ordertrail.services.couriers.kept import event_from_json
from ordertrail.services.estimating.runtime import EstimateRuntime
from ordertrail.services.scanning.record import record_scans_tx
from ordertrail.storage.couriers import events as event_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.scanning import events as scan_store


def remap_tx(
    connection: Connection,
    *,
    merchant_id: int,
    courier: str,
    code: str,
    mapping: StatusMapping,
    now: datetime,
    estimates: EstimateRuntime | None,
) -> tuple[int, list[ParcelChange]]:
    """Re-derive the merchant's parcels with events of (courier, code) now meaning ``mapping``; returns how many
    courier events were recorded again, and the changes to publish after commit."""
    attached = event_store.events_of_code(connection, merchant_id, courier, code)
    if not attached:
        return 0, []
    parcels = parcel_store.parcels_by_id(connection, list({a.parcel_id for a in attached}))
    standing = {e.event_id: e for events in scan_store.events_of(connection, list(parcels)).values() for e in events}
    replacements: list[tuple[ScanInput, int | None]] = []
    corrections: list[tuple[ScanInput, int | None]] = []
    moved: list[tuple[str, str]] = []  # (courier event id, its replacement's id)
    for item in attached:
        current = standing.get(item.recorded_event_id)
        if current is None:
            continue
        if (current.status, current.reason, current.substatus) == (mapping.status, mapping.reason, mapping.substatus):
            # Already recorded with this meaning (an unmapped code now mapped to plain in transit): nothing moves.
            if item.mapped != mapping.mapped:
                event_store.mark_remapped(
                    connection, item.event_id, recorded_event_id=item.recorded_event_id, mapped=mapping.mapped
                )
            continue
        replacement, correction = remapped(
            event_from_json(item.payload),
            mapping,
            parcel_number=parcels[item.parcel_id].tracking_number,
            standing_event_id=item.recorded_event_id,
            now=now,
        )
        replacements.append((replacement, None))
        corrections.append((correction, None))
        moved.append((item.event_id, replacement.event_id))
    if not replacements:
        return 0, []
    # The replacements first, in a step of their own: the correction voids the old scan only once its replacement
    # is on the log, and the parcel never passes through the status it had before the courier's event.
    recorded, changes = record_scans_tx(connection, replacements, now=now, estimates=estimates)
    done = [
        (index, moves)
        for index, (moves, result) in enumerate(zip(moved, recorded, strict=True))
        if result.outcome in (Outcome.CREATED, Outcome.DUPLICATE)
    ]
    _, voided = record_scans_tx(connection, [corrections[index] for index, _ in done], now=now, estimates=estimates)
    for _, (event_id, replacement_id) in done:
        event_store.mark_remapped(connection, event_id, recorded_event_id=replacement_id, mapped=mapping.mapped)
    return len(done), changes + voided
