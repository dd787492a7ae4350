"""Parcels' handovers to couriers: one per parcel, found by parcel or by (courier, courier's number)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, tuple_

from ordertrail.domain.couriers.handover import Handover
from ordertrail.storage.couriers.tables import parcel_handover


def _handover(row: Any) -> Handover:
    return Handover(
        courier=row.courier,
        tracking_number=row.tracking_number,
        service_level=row.service_level,
        tracking_url=row.tracking_url,
        handed_over_at=row.handed_over_at,
        courier_name=row.courier_name,
        recognised=row.recognised,
    )


def save_handover(connection: Connection, parcel_id: int, handover: Handover) -> None:
    """Record (or replace) the parcel's handover."""
    connection.execute(delete(parcel_handover).where(parcel_handover.c.parcel_id == parcel_id))
    connection.execute(
        insert(parcel_handover).values(
            parcel_id=parcel_id,
            courier=handover.courier,
            tracking_number=handover.tracking_number,
            service_level=handover.service_level,
            tracking_url=handover.tracking_url,
            courier_name=handover.courier_name,
            recognised=handover.recognised,
            handed_over_at=handover.handed_over_at,
        )
    )


def handover_of(connection: Connection, parcel_id: int) -> Handover | None:
    """The parcel's current handover, if it has one."""
    row = connection.execute(select(parcel_handover).where(parcel_handover.c.parcel_id == parcel_id)).first()
    return None if row is None else _handover(row)


def parcels_by_courier_number(connection: Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(courier, courier's number) -> the id of the parcel handed over under it."""
    if not keys:
        return {}
    columns = tuple_(parcel_handover.c.courier, parcel_handover.c.tracking_number)
    rows = connection.execute(
        select(parcel_handover.c.courier, parcel_handover.c.tracking_number, parcel_handover.c.parcel_id).where(
            columns.in_(list(set(keys)))
        )
    )
    return {(r.courier, r.tracking_number): r.parcel_id for r in rows}
