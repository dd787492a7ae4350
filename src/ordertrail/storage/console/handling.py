"""Handled exceptions: one row per exception of a parcel (its status version), written once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ordertrail.domain.console.handling import Handling
from ordertrail.domain.staff.audit import Actor, ActorKind
from ordertrail.storage.console.tables import exception_handling

_BY_EXCEPTION = [exception_handling.c.parcel_id, exception_handling.c.status_version]


def _handling(row: Any) -> Handling:
    return Handling(
        id=row.id,
        parcel_id=row.parcel_id,
        status_version=row.status_version,
        at=row.at,
        actor_kind=ActorKind(row.actor_kind),
        actor_id=row.actor_id,
        actor=row.actor,
        what_was_done=row.what_was_done,
    )


def add(
    connection: Connection,
    *,
    parcel_id: int,
    status_version: int,
    actor: Actor,
    what_was_done: str,
    at: datetime,
    idempotency_key: str | None,
    body_hash: str,
) -> Handling | None:
    """The new handling, or None when that exception was handled already (then nothing is written).

    ON CONFLICT DO NOTHING on the exception: two people (or two retries) racing on PostgreSQL both get an answer,
    the second one the first one's handling, instead of one failing on the unique constraint."""
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(exception_handling)
        .values(
            parcel_id=parcel_id,
            status_version=status_version,
            at=at,
            actor_kind=actor.kind.value,
            actor_id=actor.id,
            actor=actor.name,
            what_was_done=what_was_done,
            idempotency_key=idempotency_key,
            body_hash=body_hash,
        )
        .on_conflict_do_nothing(index_elements=_BY_EXCEPTION)
    )
    row = connection.execute(statement.returning(*exception_handling.c)).first()
    return None if row is None else _handling(row)


def of_exception(connection: Connection, *, parcel_id: int, status_version: int) -> tuple[Handling, str] | None:
    """The handling of that exception, with its body hash."""
    row = connection.execute(
        select(exception_handling).where(
            exception_handling.c.parcel_id == parcel_id, exception_handling.c.status_version == status_version
        )
    ).first()
    return None if row is None else (_handling(row), row.body_hash)


def by_key(connection: Connection, *, actor: Actor, idempotency_key: str) -> tuple[Handling, str] | None:
    """The handling ``actor`` made under ``idempotency_key``, with its body hash."""
    row = connection.execute(
        select(exception_handling).where(
            exception_handling.c.actor_kind == actor.kind.value,
            exception_handling.c.actor_id == actor.id,
            exception_handling.c.idempotency_key == idempotency_key,
        )
    ).first()
    return None if row is None else (_handling(row), row.body_hash)
