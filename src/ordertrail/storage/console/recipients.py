"""The versions of an order's recipient (migration 0021), and the order row that holds the newest one."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ordertrail.domain.orders.order import Address, Customer
from ordertrail.domain.orders.recipient import Recipient, RecipientVersion
from ordertrail.domain.staff.audit import Actor, ActorKind
from ordertrail.storage.console.tables import recipient_version
from ordertrail.storage.tables import order


def _version(row: Any) -> RecipientVersion:
    return RecipientVersion(
        order_id=row.order_id,
        version=row.version,
        at=row.at,
        actor_kind=None if row.actor_kind is None else ActorKind(row.actor_kind),
        actor_id=row.actor_id,
        actor=row.actor,
        reason=row.reason,
        changed=tuple(json.loads(row.changed)),
        recipient=Recipient(
            Customer(name=row.customer_name, email=row.customer_email, phone=row.customer_phone),
            Address(
                line1=row.destination_line1,
                line2=row.destination_line2,
                city=row.destination_city,
                region=row.destination_region,
                postal_code=row.destination_postal_code,
                country=row.destination_country,
            ),
        ),
    )


def _columns(recipient: Recipient) -> dict[str, str | None]:
    c, d = recipient.customer, recipient.destination
    return {
        "customer_name": c.name,
        "customer_email": c.email,
        "customer_phone": c.phone,
        "destination_line1": d.line1,
        "destination_line2": d.line2,
        "destination_city": d.city,
        "destination_region": d.region,
        "destination_postal_code": d.postal_code,
        "destination_country": d.country,
    }


def versions_of(connection: Connection, order_id: int) -> list[RecipientVersion]:
    """Every version of the order's recipient, oldest first (none until its first correction)."""
    rows = connection.execute(
        select(recipient_version).where(recipient_version.c.order_id == order_id).order_by(recipient_version.c.version)
    )
    return [_version(row) for row in rows]


def add(
    connection: Connection,
    *,
    order_id: int,
    version: int,
    recipient: Recipient,
    at: datetime,
    actor: Actor | None,
    reason: str | None,
    changed: tuple[str, ...],
    idempotency_key: str | None = None,
    body_hash: str | None = None,
) -> None:
    """A new version (``actor`` None: the order as placed)."""
    connection.execute(
        insert(recipient_version).values(
            order_id=order_id,
            version=version,
            at=at,
            actor_kind=None if actor is None else actor.kind.value,
            actor_id=None if actor is None else actor.id,
            actor=None if actor is None else actor.name,
            reason=reason,
            changed=json.dumps(list(changed)),
            idempotency_key=idempotency_key,
            body_hash=body_hash,
            **_columns(recipient),
        )
    )


def by_key(connection: Connection, *, actor: Actor, idempotency_key: str) -> tuple[RecipientVersion, str] | None:
    """The version ``actor`` made under ``idempotency_key``, with its body hash."""
    row = connection.execute(
        select(recipient_version).where(
            recipient_version.c.actor_kind == actor.kind.value,
            recipient_version.c.actor_id == actor.id,
            recipient_version.c.idempotency_key == idempotency_key,
        )
    ).first()
    return None if row is None else (_version(row), row.body_hash)


def set_current(connection: Connection, order_id: int, recipient: Recipient) -> None:
    """The order row holds the newest version: what emails, pages and the API read."""
    connection.execute(update(order).where(order.c.id == order_id).values(**_columns(recipient)))
