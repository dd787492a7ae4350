"""Bulk actions: the row that makes a submitted bulk form act once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ordertrail.domain.console.bulk import BulkAction
from ordertrail.domain.staff.audit import Actor, ActorKind
from ordertrail.storage.console.tables import bulk_action

_UNIQUE = [bulk_action.c.actor_kind, bulk_action.c.actor_id, bulk_action.c.idempotency_key]


def _action(row: Any) -> BulkAction:
    return BulkAction(
        id=row.id,
        key=row.idempotency_key,
        actor_kind=ActorKind(row.actor_kind),
        actor=row.actor,
        action=row.action,
        parcel_count=row.parcel_count,
        text=row.text,
        created_at=row.created_at,
    )


def claim(
    connection: Connection, *, key: str, actor: Actor, action: str, parcel_count: int, text: str, at: datetime
) -> BulkAction | None:
    """Record the bulk action under ``key``; None when the actor used that key already (nothing is written).

    ON CONFLICT DO NOTHING: a double submit racing on PostgreSQL waits for the first and then writes nothing.
    """
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(bulk_action)
        .values(
            idempotency_key=key,
            actor_kind=actor.kind.value,
            actor_id=actor.id,
            actor=actor.name,
            action=action,
            parcel_count=parcel_count,
            text=text,
            created_at=at,
        )
        .on_conflict_do_nothing(index_elements=_UNIQUE)
    )
    row = connection.execute(statement.returning(*bulk_action.c)).first()
    return None if row is None else _action(row)


def by_key(connection: Connection, *, actor: Actor, key: str) -> BulkAction | None:
    row = connection.execute(
        select(bulk_action).where(
            bulk_action.c.actor_kind == actor.kind.value,
            bulk_action.c.actor_id == actor.id,
            bulk_action.c.idempotency_key == key,
        )
    ).first()
    return None if row is None else _action(row)
