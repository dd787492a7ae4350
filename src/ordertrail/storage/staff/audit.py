"""The audit log: appended and read, never updated or deleted (the store's triggers refuse both)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, insert, or_, select

from ordertrail.domain.staff.audit import Actor, ActorKind, AuditEntry
from ordertrail.storage.staff.tables import audit_log


def append(
    connection: Connection,
    *,
    actor: Actor,
    action: str,
    at: datetime,
    merchant_id: int | None = None,
    order_number: str | None = None,
    tracking_number: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    connection.execute(
        insert(audit_log).values(
            at=at,
            actor_kind=actor.kind.value,
            actor_id=actor.id,
            actor=actor.name,
            action=action,
            merchant_id=merchant_id,
            order_number=order_number,
            tracking_number=tracking_number,
            address=actor.address,
            detail=orjson.dumps(detail or {}).decode(),
        )
    )


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters of the audit log; ``visible_to`` limits a non-admin reader (their merchants, their own actions)."""

    action: str | None = None
    actor: str | None = None
    tracking_number: str | None = None
    order_number: str | None = None
    after: datetime | None = None
    before: datetime | None = None
    visible_merchants: frozenset[int] | None = None
    visible_actor_id: int | None = None


def entries(connection: Connection, query: AuditQuery, *, before_id: int | None, limit: int) -> list[AuditEntry]:
    """Newest first, keyset by id."""
    statement = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    conditions: Sequence[Any] = [
        audit_log.c.action == query.action if query.action else None,
        audit_log.c.actor == query.actor if query.actor else None,
        audit_log.c.tracking_number == query.tracking_number if query.tracking_number else None,
        audit_log.c.order_number == query.order_number if query.order_number else None,
        audit_log.c.at > query.after if query.after else None,
        audit_log.c.at < query.before if query.before else None,
        audit_log.c.id < before_id if before_id is not None else None,
    ]
    for condition in conditions:
        if condition is not None:
            statement = statement.where(condition)
    if query.visible_merchants is not None:
        mine = (audit_log.c.actor_kind == ActorKind.STAFF.value) & (audit_log.c.actor_id == query.visible_actor_id)
        statement = statement.where(or_(audit_log.c.merchant_id.in_(sorted(query.visible_merchants)), mine))
    return [
        AuditEntry(
            id=r.id,
            at=r.at,
            actor_kind=ActorKind(r.actor_kind),
            actor_id=r.actor_id,
            actor=r.actor,
            action=r.action,
            merchant_id=r.merchant_id,
            order_number=r.order_number,
            tracking_number=r.tracking_number,
            address=r.address,
            detail=orjson.loads(r.detail),
        )
        for r in connection.execute(statement)
    ]
