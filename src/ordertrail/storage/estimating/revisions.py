"""Estimate revisions (``parcel_estimate``): one row each time a parcel's window moved."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert, select

from ordertrail.domain.estimating.revisions import Revision
from ordertrail.storage.sqlite_rows import execute_rows, row_maker
from ordertrail.storage.tables import parcel_estimate

_ADD_REVISION = insert(parcel_estimate)


_REVISION_COLUMNS = [parcel_estimate.c[name] for name in Revision._fields]


# Column names from the table definition, never from input.
_ADD_REVISION_SQLITE = (
    f"INSERT INTO parcel_estimate ({', '.join(Revision._fields)}) VALUES ({', '.join('?' * len(Revision._fields))})"  # noqa: S608
)


_revision_row = row_maker(_REVISION_COLUMNS)


def add_revisions(connection: Connection, revisions: Sequence[Revision]) -> None:
    if not revisions:
        return
    if connection.dialect.name == "sqlite":  # about a third of scans write one: below Core (sqlite_rows.py)
        execute_rows(connection, _ADD_REVISION_SQLITE, [_revision_row(r) for r in revisions])
    else:
        connection.execute(_ADD_REVISION, [r._asdict() for r in revisions])


def revisions_of(connection: Connection, parcel_id: int) -> list[Revision]:
    """A parcel's estimate history, oldest first."""
    rows = connection.execute(
        select(parcel_estimate).where(parcel_estimate.c.parcel_id == parcel_id).order_by(parcel_estimate.c.id)
    )
    return [
        Revision(
            parcel_id=r.parcel_id,
            earliest=r.earliest,
            latest=r.latest,
            likely=r.likely,
            confidence=r.confidence,
            basis=r.basis,
            step=r.step,
            reason=r.reason,
            delayed=r.delayed,
            created_at=r.created_at,
        )
        for r in rows
    ]
