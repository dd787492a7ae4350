"""Scans of numbers no parcel has (yet): kept whole, attached when their parcel appears."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from ordertrail.domain.scanning.scans import KeptScan
from ordertrail.storage.tables import unmatched_scan


def keep_unmatched(
    connection: Connection,
    *,
    event_id: str,
    tracking_number: str,
    payload: str,
    body_hash: str,
    api_key_id: int | None,
    recorded_at: datetime,
) -> None:
    """Keep a scan of an unknown number."""
    connection.execute(
        insert(unmatched_scan).values(
            event_id=event_id,
            tracking_number=tracking_number,
            payload=payload,
            body_hash=body_hash,
            api_key_id=api_key_id,
            recorded_at=recorded_at,
        )
    )


def unmatched_for(connection: Connection, tracking_numbers: Sequence[str]) -> list[KeptScan]:
    """Kept, not yet attached scans of the given numbers, oldest first."""
    if not tracking_numbers:
        return []
    rows = connection.execute(
        select(unmatched_scan)
        .where(unmatched_scan.c.tracking_number.in_(tracking_numbers), unmatched_scan.c.attached_at.is_(None))
        .order_by(unmatched_scan.c.id)
    )
    return [KeptScan(r.event_id, r.tracking_number, r.payload, r.api_key_id, r.recorded_at) for r in rows]


def list_unmatched(connection: Connection, *, after_id: int, limit: int) -> list[tuple[int, KeptScan]]:
    """Unattached unmatched scans, oldest first, for admins."""
    rows = connection.execute(
        select(unmatched_scan)
        .where(unmatched_scan.c.attached_at.is_(None), unmatched_scan.c.id > after_id)
        .order_by(unmatched_scan.c.id)
        .limit(limit)
    )
    return [(r.id, KeptScan(r.event_id, r.tracking_number, r.payload, r.api_key_id, r.recorded_at)) for r in rows]


def mark_attached(connection: Connection, event_ids: Sequence[str], *, at: datetime) -> None:
    """Record that kept scans found their parcel."""
    if event_ids:
        connection.execute(
            update(unmatched_scan).where(unmatched_scan.c.event_id.in_(event_ids)).values(attached_at=at)
        )


def unmatched_by_id(connection: Connection, unmatched_id: int) -> tuple[KeptScan, datetime | None] | None:
    """One kept scan and when it was attached (None: still unmatched), or None when there is no such row."""
    row = connection.execute(select(unmatched_scan).where(unmatched_scan.c.id == unmatched_id)).one_or_none()
    if row is None:
        return None
    return KeptScan(row.event_id, row.tracking_number, row.payload, row.api_key_id, row.recorded_at), row.attached_at


def count_unmatched(connection: Connection) -> int:
    """Kept scans not attached yet."""
    query = select(func.count()).select_from(unmatched_scan).where(unmatched_scan.c.attached_at.is_(None))
    return int(connection.execute(query).scalar_one())
