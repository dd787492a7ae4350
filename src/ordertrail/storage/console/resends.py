"""Resends asked for under an Idempotency-Key: what the first request wrote, for its retries."""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ordertrail.domain.staff.audit import Actor
from ordertrail.storage.console.tables import notification_resend

_UNIQUE = [notification_resend.c.actor_kind, notification_resend.c.actor_id, notification_resend.c.idempotency_key]

Resent = list[dict[str, str]]  # one {"message_id", "resends", "channel", "event_type"} per message written


def add(
    connection: Connection,
    *,
    parcel_id: int,
    actor: Actor,
    idempotency_key: str,
    body_hash: str,
    resent: Resent,
    at: datetime,
) -> bool:
    """Keep what this resend wrote; False when ``actor`` used ``idempotency_key`` already (a racing retry, which
    then must write nothing: the caller rolls back)."""
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(notification_resend)
        .values(
            parcel_id=parcel_id,
            at=at,
            actor_kind=actor.kind.value,
            actor_id=actor.id,
            actor=actor.name,
            idempotency_key=idempotency_key,
            body_hash=body_hash,
            resent=orjson.dumps(resent).decode(),
        )
        .on_conflict_do_nothing(index_elements=_UNIQUE)
    )
    return connection.execute(statement).rowcount == 1


def by_key(connection: Connection, *, actor: Actor, idempotency_key: str) -> tuple[Resent, str] | None:
    """What ``actor``'s resend under ``idempotency_key`` wrote, with its body hash."""
    row = connection.execute(
        select(notification_resend.c.resent, notification_resend.c.body_hash).where(
            notification_resend.c.actor_kind == actor.kind.value,
            notification_resend.c.actor_id == actor.id,
            notification_resend.c.idempotency_key == idempotency_key,
        )
    ).first()
    if row is None:
        return None
    resent: Resent = orjson.loads(row.resent)
    return resent, row.body_hash
