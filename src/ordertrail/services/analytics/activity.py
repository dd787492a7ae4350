"""Scan activity over a period, per facility and per scanner device, within a set of merchants.

Callers narrow ``merchant_ids`` to what the reader may see (services/console/readers.py) before calling: a
merchant sees the scans of its own parcels only.
"""

from __future__ import annotations

from sqlalchemy import Connection

from ordertrail.domain.analytics.activity import ScanActivity, scan_activity
from ordertrail.domain.analytics.period import Period
from ordertrail.services.ports import Ports
from ordertrail.storage.analytics.devices import scan_devices
from ordertrail.storage.analytics.records import parcel_records


async def activity_report(services: Ports, *, period: Period, merchant_ids: frozenset[int] | None) -> ScanActivity:
    """The scans whose local date is in ``period``."""

    def read(connection: Connection) -> ScanActivity:
        records = parcel_records(connection, period=period, merchant_ids=merchant_ids)
        devices = scan_devices(connection, [r.parcel_id for r in records])
        return scan_activity(records, devices, period)

    return await services.db.read_apart(read)
