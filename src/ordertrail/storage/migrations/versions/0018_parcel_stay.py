"""where each parcel waits now (the facility of its latest scan, since the first scan of that visit), kept on
its row with its status so that the "dwelling now" queue is a count, not a replay of every open parcel

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 02:00:00

The backfill replays each parcel's stored events with the rule of ``domain/scanning/stay.py`` as it stands at
this revision (written out here, so that later code cannot change what this migration did): events in replay
order, corrections and the events they voided left out, the latest one's facility and the first of the latest
run of scans there. One pass over the events in parcel order, in batches: on a million parcels with five events
each it takes a minute or two, once.
"""

from collections.abc import Iterator, Sequence
from datetime import datetime
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
)


def upgrade() -> None:
    op.add_column("parcel", sa.Column("stay_facility", sa.String(length=200), nullable=True))
    op.add_column("parcel", sa.Column("stay_since", Instant(timezone=True), nullable=True))
    connection = op.get_bind()
    save = (
        sa.update(parcel)
        .where(parcel.c.id == sa.bindparam("b_id"))
        .values(stay_facility=sa.bindparam("b_facility"), stay_since=sa.bindparam("b_since", type_=Instant()))
    )
    for stays in _stays(connection):
        if stays:
            connection.execute(save, [{"b_id": pid, "b_facility": f, "b_since": since} for pid, f, since in stays])


def _stays(connection: Any) -> Iterator[list[tuple[int, str, datetime]]]:
    """Per batch of parcels (by id), the stay of each parcel whose latest scan names a facility."""
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
            ).where(event.c.parcel_id.between(ids[0], last_id))
        )
        by_parcel: dict[int, list[Any]] = {}
        for row in rows:
            by_parcel.setdefault(row.parcel_id, []).append(row)
        yield [(pid, *stay) for pid, events in by_parcel.items() if (stay := _stay(events)) is not None]


def _stay(events: list[Any]) -> tuple[str, datetime] | None:
    voided = {e.voids_event_id for e in events if e.status == "correction" and e.voids_event_id}
    scans = sorted(
        (e for e in events if e.status != "correction" and e.event_id not in voided),
        key=lambda e: (e.status != "order_placed", e.occurred_at, LIFECYCLE_ORDER[e.status], e.recorded_at, e.event_id),
    )
    if not scans or not (facility := scans[-1].facility):
        return None
    first = len(scans) - 1
    while first > 0 and scans[first - 1].facility == facility:
        first -= 1
    return facility, scans[first].occurred_at


def downgrade() -> None:
    op.drop_column("parcel", "stay_since")
    op.drop_column("parcel", "stay_facility")
