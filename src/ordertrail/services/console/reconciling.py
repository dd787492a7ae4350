"""Unmatched scans: listing them, and attaching one to the parcel it was meant for (a mistyped or misread number).

Attaching replays the kept scan through the scan transaction under the right number, with its own event id and
body hash: the replay rules apply as to any late scan, and the device resending its original scan afterwards is
answered as a duplicate. The kept row is marked attached and the action audited, in the same transaction.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection

from ordertrail.domain.errors import Conflict, Forbidden, InvalidInput, ParcelNotFound, UnmatchedScanNotFound
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.scans import KeptScan, Outcome
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console.readers import Reader
from ordertrail.services.context import Services
from ordertrail.services.scanning.kept import scan_from_json
from ordertrail.services.scanning.record import ScanResult, record_scans_tx
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.scanning import unmatched as unmatched_store
from ordertrail.storage.staff import audit as audit_store


def require_reconciler(reader: Reader) -> None:
    """Raises Forbidden unless the reader handles unmatched scans (admins, operations; admin keys)."""
    if not reader.may(Permission.RECONCILE):
        raise Forbidden("Unmatched scans are handled by operations staff and admins (and admin keys).")


async def list_unmatched(services: Services, reader: Reader, *, after: int, limit: int) -> list[tuple[int, KeptScan]]:
    """Unattached unmatched scans, oldest first. Raises Forbidden."""
    require_reconciler(reader)
    return await services.db.read(lambda c: unmatched_store.list_unmatched(c, after_id=after, limit=limit))


async def unmatched_count(services: Services, reader: Reader) -> int:
    """How many scans wait to be attached. Raises Forbidden."""
    require_reconciler(reader)
    return await services.db.read(unmatched_store.count_unmatched)


async def attach(services: Services, reader: Reader, *, unmatched_id: int, tracking_number: str) -> ScanResult:
    """Record the kept scan on ``tracking_number``'s parcel. Raises Forbidden, UnmatchedScanNotFound,
    ParcelNotFound (also for a parcel of a merchant the reader does not see), Conflict (attached already),
    InvalidInput (the scan breaks a rule of that parcel, e.g. dated days before its order)."""
    require_reconciler(reader)

    def transaction(connection: Connection) -> tuple[ScanResult, list[ParcelChange]]:
        found = unmatched_store.unmatched_by_id(connection, unmatched_id)
        if found is None:
            raise UnmatchedScanNotFound(f"No unmatched scan {unmatched_id}.", field="unmatched_id")
        kept, attached_at = found
        if attached_at is not None:
            raise Conflict(f"Unmatched scan {unmatched_id} was attached already.", field="unmatched_id")
        parcel = parcel_store.parcels_by_tracking_number(connection, [tracking_number]).get(tracking_number)
        if parcel is None or not reader.sees(parcel.merchant_id):
            raise ParcelNotFound(f"No parcel {tracking_number!r}.", field="tracking_number")
        now = services.clock()
        unmatched_store.mark_attached(connection, [kept.event_id], at=now)
        scan = replace(scan_from_json(kept.payload), tracking_number=tracking_number)
        (result,), changes = record_scans_tx(
            connection, [(scan, kept.api_key_id)], now=now, estimates=services.estimates
        )
        if result.outcome is Outcome.INVALID:
            raise InvalidInput(f"The scan cannot be attached to {tracking_number}.", problems=result.problems)
        audit_store.append(
            connection,
            actor=reader.actor,
            action=Action.UNMATCHED_SCAN_ATTACHED,
            at=now,
            merchant_id=parcel.merchant_id,
            order_number=parcel.order_number,
            tracking_number=tracking_number,
            detail={"unmatched_id": unmatched_id, "scanned_as": kept.tracking_number, "event_id": kept.event_id},
        )
        return result, changes

    result, changes = await services.db.write(transaction)
    await services.committed(changes)
    return result
