"""Webhook endpoints: where merchants receive signed events, their secrets and state."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ordertrail.domain.notifying.endpoints import Endpoint
from ordertrail.storage.tables import webhook_endpoint
from ordertrail.storage.types import new_id


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        id=row.id,
        merchant_id=row.merchant_id,
        url=row.url,
        description=row.description,
        event_types=tuple(json.loads(row.event_types)),
        secret=row.secret,
        previous_secret=row.previous_secret,
        previous_secret_expires_at=row.previous_secret_expires_at,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason,
    )


def insert_endpoint(
    connection: Connection,
    *,
    merchant_id: int,
    url: str,
    description: str | None,
    event_types: Sequence[str],
    secret: str,
    now: datetime,
) -> int:
    return new_id(
        connection.execute(
            insert(webhook_endpoint).values(
                merchant_id=merchant_id,
                url=url,
                description=description,
                event_types=json.dumps(list(event_types)),
                secret=secret,
                created_at=now,
            )
        )
    )


def endpoints(connection: Connection, *, merchant_id: int | None, endpoint_id: int | None = None) -> list[Endpoint]:
    """Live (not deleted) endpoints of a merchant (None: of all merchants), or the one with ``endpoint_id``."""
    query = select(webhook_endpoint).where(webhook_endpoint.c.deleted_at.is_(None)).order_by(webhook_endpoint.c.id)
    if merchant_id is not None:
        query = query.where(webhook_endpoint.c.merchant_id == merchant_id)
    if endpoint_id is not None:
        query = query.where(webhook_endpoint.c.id == endpoint_id)
    return [_endpoint(r) for r in connection.execute(query)]


def active_endpoints_of(connection: Connection, merchant_ids: Sequence[int]) -> list[Endpoint]:
    """Endpoints that should receive new messages: live and enabled."""
    if not merchant_ids:
        return []
    rows = connection.execute(
        select(webhook_endpoint).where(
            webhook_endpoint.c.merchant_id.in_(merchant_ids),
            webhook_endpoint.c.deleted_at.is_(None),
            webhook_endpoint.c.disabled_at.is_(None),
        )
    )
    return [_endpoint(r) for r in rows]


def endpoint_by_id(connection: Connection, endpoint_id: int) -> Endpoint | None:
    """Any endpoint, deleted or not (the worker needs the secret of whatever it is sending)."""
    row = connection.execute(select(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id)).one_or_none()
    return None if row is None else _endpoint(row)


def endpoint_is_live(connection: Connection, endpoint_id: int) -> bool:
    row = connection.execute(
        select(webhook_endpoint.c.deleted_at, webhook_endpoint.c.disabled_at).where(
            webhook_endpoint.c.id == endpoint_id
        )
    ).one_or_none()
    return row is not None and row.deleted_at is None and row.disabled_at is None


def update_endpoint(connection: Connection, endpoint_id: int, **values: Any) -> None:
    connection.execute(update(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id).values(**values))
