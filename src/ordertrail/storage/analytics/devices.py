"""Which scanner key sent each event of some parcels, for the scan activity per device."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from ordertrail.storage.tables import api_key, scan_event

# Parcels per query: SQLite takes at most 32,766 bound values, asyncpg 32,767.
_BATCH = 500


def scan_devices(connection: Connection, parcel_ids: Sequence[int]) -> dict[str, str | None]:
    """Event id -> the name of the key that recorded it (None: recorded without one)."""
    found: dict[str, str | None] = {}
    for start in range(0, len(parcel_ids), _BATCH):
        query = (
            select(scan_event.c.event_id, api_key.c.name)
            .select_from(scan_event.outerjoin(api_key, api_key.c.id == scan_event.c.api_key_id))
            .where(scan_event.c.parcel_id.in_(parcel_ids[start : start + _BATCH]))
        )
        found.update({row.event_id: row.name for row in connection.execute(query)})
    return found
