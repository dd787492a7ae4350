"""Merchants: the shops whose orders ordertrail tracks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select

from ordertrail.storage.tables import merchant
from ordertrail.storage.types import new_id


def create_merchant(connection: Connection, *, name: str, at: datetime) -> int:
    """Insert a merchant; the caller checks the name is free."""
    return new_id(connection.execute(insert(merchant).values(name=name, created_at=at)))


def merchant_id_by_name(connection: Connection, name: str) -> int | None:
    return connection.execute(select(merchant.c.id).where(merchant.c.name == name)).scalar_one_or_none()


def merchant_names(connection: Connection, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        r.id: r.name for r in connection.execute(select(merchant.c.id, merchant.c.name).where(merchant.c.id.in_(ids)))
    }


def list_merchants(connection: Connection) -> list[tuple[int, str, datetime]]:
    rows = connection.execute(select(merchant.c.id, merchant.c.name, merchant.c.created_at).order_by(merchant.c.id))
    return [(r.id, r.name, r.created_at) for r in rows]
