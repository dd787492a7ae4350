"""Recording scans outside the HTTP path (CLI, demo, workers): the same transaction, committed at once."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from ordertrail.domain.accounts.keys import Principal
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.scans import ScanInput
from ordertrail.services.context import Services
from ordertrail.services.scanning.record import ScanResult, record_scans_tx, with_device_facility


async def record_scans(services: Services, *, scans: Sequence[ScanInput], principal: Principal) -> list[ScanResult]:
    """Record scans sent with ``principal``'s key in one transaction; one result per scan, in order."""
    items = [(with_device_facility(scan, principal), principal.key_id) for scan in scans]

    def transaction(connection: Connection) -> tuple[list[ScanResult], list[ParcelChange]]:
        return record_scans_tx(connection, items, now=services.clock(), estimates=services.estimates)

    results, changes = await services.db.write(transaction)
    await services.committed(changes)
    return results
