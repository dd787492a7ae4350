"""Courier integrations: who may post courier events, for which courier, signed with which secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from ordertrail.storage.couriers.tables import courier_integration
from ordertrail.storage.types import new_id


@dataclass(frozen=True, slots=True)
class Integration:
    """A courier integration (its secret included: verifying a request needs it)."""

    id: int
    courier: str
    name: str
    secret: str
    source: str = "generic"  # or the aggregator whose webhooks it receives: karrio, easypost, aftership


def insert_integration(
    connection: Connection, *, courier: str, name: str, secret: str, at: datetime, source: str = "generic"
) -> int:
    result = connection.execute(
        insert(courier_integration).values(courier=courier, name=name, secret=secret, source=source, created_at=at)
    )
    return new_id(result)


def active_integration(connection: Connection, integration_id: int) -> Integration | None:
    """The integration if it exists and is not revoked."""
    row = connection.execute(
        select(courier_integration).where(
            courier_integration.c.id == integration_id, courier_integration.c.revoked_at.is_(None)
        )
    ).first()
    return None if row is None else Integration(row.id, row.courier, row.name, row.secret, row.source)
