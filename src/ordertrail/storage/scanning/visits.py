"""Facility visits (``facility_visit``): written with the scans that end them, read for each facility's usual
time (the p90 the "dwelling now" queue compares with)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ordertrail.domain.scanning.stay import Visit
from ordertrail.storage.tables import facility_visit

_KEY = ["parcel_id", "facility"]


def _row(parcel_id: int, visit: Visit) -> dict[str, Any]:
    return {
        "parcel_id": parcel_id,
        "facility": visit.facility,
        "since": visit.since,
        "until": visit.until,
        "ended_on": visit.until.date(),
        "hours": visit.hours,
    }


def save_visits(
    connection: Connection, *, rewritten: Mapping[int, Sequence[Visit]], ended: Sequence[tuple[int, Visit]]
) -> None:
    """Replace the visits of the ``rewritten`` parcels (replayed: all their first visits) and add the visits
    in-order scans ``ended``; a visit to a facility the parcel already has one for is not its first, and is left
    out."""
    if rewritten:
        connection.execute(delete(facility_visit).where(facility_visit.c.parcel_id.in_(sorted(rewritten))))
    rows = [_row(pid, v) for pid, visits in rewritten.items() for v in visits] + [_row(pid, v) for pid, v in ended]
    if not rows:
        return
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    connection.execute(insert(facility_visit).on_conflict_do_nothing(index_elements=_KEY), rows)


def usual_hours(connection: Connection, first: date, last: date, percent: int) -> dict[str, float]:
    """Per facility, the nearest-rank ``percent`` percentile of the hours of the visits that ended from ``first``
    to ``last`` (local dates, both included; domain/analytics/stats.py, ``nearest_rank``), computed by the store."""
    ranked = (
        select(
            facility_visit.c.facility,
            facility_visit.c.hours,
            func.row_number()
            .over(partition_by=facility_visit.c.facility, order_by=facility_visit.c.hours)
            .label("rank"),
            func.count().over(partition_by=facility_visit.c.facility).label("n"),
        )
        .where(facility_visit.c.ended_on.between(first, last), facility_visit.c.hours >= 0)
        .subquery()
    )
    # The rank ceil(percent × n / 100) in integers, as nearest_rank computes it.
    query = select(ranked.c.facility, ranked.c.hours).where(ranked.c.rank == (ranked.c.n * percent + 99) // 100)
    return {row.facility: float(row.hours) for row in connection.execute(query)}
