"""where each parcel waits now (the facility of its latest scan, since the first scan of that visit), kept on
its row with its status so that the "dwelling now" queue is a count, not a replay of every open parcel; and each
parcel's first visit to each facility it has left, so that a facility's usual time is read, not replayed

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 02:00:00

The backfill replays each parcel's stored events with the rules of ``domain/scanning/stay.py`` as they stand at
this revision (written out here, so that later code cannot change what this migration did): events in replay
order, corrections and the events they voided left out; the stay is the latest one's facility and the first of
the latest run of scans there; a first visit runs from the first scan at a facility to the next scan naming
another facility or none. One pass over the events in parcel order, in batches: on a million parcels with five events
each it takes a minute or two, once.
"""

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = ordertrail.storage.types.UTCDateTime
BATCH = 5_000  # parcels per read

# The replay's tie-break at this revision (domain/scanning/derivation.py, _LIFECYCLE_ORDER).
LIFECYCLE_ORDER = {
    "order_placed": 0,
    "processing": 1,
    "packed": 2,
    "dispatched": 3,
    "in_transit": 4,
    "out_for_delivery": 5,
    "delivered": 6,
    "delivery_attempted": 5,
    "available_for_pickup": 5,
    "exception": 4,
    "returning": 7,
    "returned": 8,
    "cancelled": 8,
    "correction": 9,
}

visit = sa.table(
    "facility_visit",
    sa.column("parcel_id", sa.BigInteger),
    sa.column("facility"),
    sa.column("since", Instant),
    sa.column("until", Instant),
    sa.column("ended_on", ordertrail.storage.types.LocalDate),
    sa.column("hours", sa.Float),
)
parcel = sa.table(
    "parcel", sa.column("id", sa.BigInteger), sa.column("stay_facility"), sa.column("stay_since", Instant)
)
event = sa.table(
    "scan_event",
    sa.column("parcel_id", sa.BigInteger),
    sa.column("event_id"),
    sa.column("status"),
    sa.column("occurred_at", Instant),
    sa.column("recorded_at", Instant),
    sa.column("facility"),
    sa.column("voids_event_id"),
    sa.column("occurred_offset_minutes"),
)


def upgrade() -> None:
    op.add_column("parcel", sa.Column("stay_facility", sa.String(length=200), nullable=True))
    op.add_column("parcel", sa.Column("stay_since", Instant(timezone=True), nullable=True))
    op.create_table(
        "facility_visit",
        sa.Column("parcel_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("facility", sa.String(length=200), nullable=False),
        sa.Column("since", Instant(timezone=True), nullable=False),
        sa.Column("until", Instant(timezone=True), nullable=False),
        sa.Column("ended_on", ordertrail.storage.types.LocalDate(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["parcel_id"], ["parcel.id"], name=op.f("fk_facility_visit_parcel_id_parcel")),
        sa.PrimaryKeyConstraint("parcel_id", "facility", name=op.f("pk_facility_visit")),
    )
    op.create_index(op.f("ix_facility_visit_ended_on"), "facility_visit", ["ended_on"], unique=False)
    connection = op.get_bind()
    save = (
        sa.update(parcel)
        .where(parcel.c.id == sa.bindparam("b_id"))
        .values(stay_facility=sa.bindparam("b_facility"), stay_since=sa.bindparam("b_since", type_=Instant()))
    )
    for stays, visits in _replayed(connection):
        if stays:
            connection.execute(save, [{"b_id": pid, "b_facility": f, "b_since": since} for pid, f, since in stays])
        if visits:
            connection.execute(sa.insert(visit), visits)


def _replayed(connection: Any) -> Iterator[tuple[list[tuple[int, str, datetime]], list[dict[str, Any]]]]:
    """Per batch of parcels (by id): the stay of each parcel whose latest scan names a facility, and the rows of
    every parcel's first visits."""
    last_id = -1
    while True:
        ids = [
            row[0]
            for row in connection.execute(
                sa.select(parcel.c.id).where(parcel.c.id > last_id).order_by(parcel.c.id).limit(BATCH)
            )
        ]
        if not ids:
            return
        last_id = ids[-1]
        rows = connection.execute(
            sa.select(
                event.c.parcel_id,
                event.c.event_id,
                event.c.status,
                event.c.occurred_at,
                event.c.recorded_at,
                event.c.facility,
                event.c.voids_event_id,
                event.c.occurred_offset_minutes,
            ).where(event.c.parcel_id.between(ids[0], last_id))
        )
        by_parcel: dict[int, list[Any]] = {}
        for row in rows:
            by_parcel.setdefault(row.parcel_id, []).append(row)
        stays, visits = [], []
        for pid, events in by_parcel.items():
            scans = _scans(events)
            if (stay := _stay(scans)) is not None:
                stays.append((pid, *stay))
            visits += [_visit_row(pid, *v) for v in _first_visits(scans)]
        yield stays, visits


def _scans(events: list[Any]) -> list[Any]:
    voided = {e.voids_event_id for e in events if e.status == "correction" and e.voids_event_id}
    return sorted(
        (e for e in events if e.status != "correction" and e.event_id not in voided),
        key=lambda e: (e.status != "order_placed", e.occurred_at, LIFECYCLE_ORDER[e.status], e.recorded_at, e.event_id),
    )


def _first_visits(scans: list[Any]) -> Iterator[tuple[str, datetime, datetime, int]]:
    seen: set[str] = set()
    for i, scan in enumerate(scans):
        if not scan.facility or scan.facility in seen:
            continue
        seen.add(scan.facility)
        end = next((e for e in scans[i + 1 :] if e.facility != scan.facility), None)
        if end is not None:
            yield scan.facility, scan.occurred_at, end.occurred_at, end.occurred_offset_minutes


def _visit_row(pid: int, facility: str, since: datetime, until: datetime, offset_minutes: int) -> dict[str, Any]:
    # The local date of the scan that ended it: stored instants are UTC, with the place's offset beside them.
    ended_on = (until + timedelta(minutes=offset_minutes)).date()
    hours = (until - since).total_seconds() / 3600
    return {
        "parcel_id": pid,
        "facility": facility,
        "since": since,
        "until": until,
        "ended_on": ended_on,
        "hours": hours,
    }


def _stay(scans: list[Any]) -> tuple[str, datetime] | None:
    if not scans or not (facility := scans[-1].facility):
        return None
    first = len(scans) - 1
    while first > 0 and scans[first - 1].facility == facility:
        first -= 1
    return facility, scans[first].occurred_at


def downgrade() -> None:
    op.drop_index(op.f("ix_facility_visit_ended_on"), table_name="facility_visit")
    op.drop_table("facility_visit")
    op.drop_column("parcel", "stay_since")
    op.drop_column("parcel", "stay_facility")
