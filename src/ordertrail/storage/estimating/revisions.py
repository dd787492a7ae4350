"""Estimate revisions (``parcel_estimate``): one row each time a parcel's window moved."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert, select

from ordertrail.domain.estimating.revisions import Revision
from ordertrail.storage.compiled import Compiled
from ordertrail.storage.tables import parcel_estimate

# About a third of scans write one: below Core (compiled.py), a revision's fields in order as the row.
_ADD_REVISION = Compiled(insert(parcel_estimate).inline(), column_keys=Revision._fields)


def add_revisions(connection: Connection, revisions: Sequence[Revision]) -> None:
    _ADD_REVISION.execute_many(connection, revisions)


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
