"""Scans recorded by hand: the flag on their events, and who recorded them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select

from ordertrail.domain.staff.audit import Actor
from ordertrail.storage.console.tables import manual_scan


def add(connection: Connection, *, event_id: str, actor: Actor, at: datetime) -> None:
    """Flag the event (appended in this transaction) as recorded by hand."""
    connection.execute(
        insert(manual_scan).values(
            event_id=event_id, at=at, actor_kind=actor.kind.value, actor_id=actor.id, actor=actor.name
        )
    )


def manual_of(connection: Connection, event_ids: Sequence[str]) -> frozenset[str]:
    """Which of ``event_ids`` were recorded by hand."""
    if not event_ids:
        return frozenset()
    rows = connection.execute(select(manual_scan.c.event_id).where(manual_scan.c.event_id.in_(list(event_ids))))
    return frozenset(row.event_id for row in rows)
