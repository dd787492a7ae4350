"""API keys, stored only as hashes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from ordertrail.domain.accounts.keys import ApiKey, Principal, Role
from ordertrail.storage.database import Database
from ordertrail.storage.tables import api_key, merchant
from ordertrail.storage.types import new_id


def insert_key(
    connection: Connection,
    *,
    key_hash: str,
    display_prefix: str,
    role: Role,
    name: str,
    merchant_id: int | None,
    facility: str | None,
    at: datetime,
) -> int:
    result = connection.execute(
        insert(api_key).values(
            key_hash=key_hash,
            display_prefix=display_prefix,
            role=role.value,
            name=name,
            merchant_id=merchant_id,
            facility=facility,
            created_at=at,
        )
    )
    return new_id(result)


_PRINCIPALS = select(
    api_key.c.id, api_key.c.role, api_key.c.name, api_key.c.merchant_id, api_key.c.facility, api_key.c.key_hash
).where(api_key.c.key_hash.in_(bindparam("hashes", expanding=True)), api_key.c.revoked_at.is_(None))


def principals_by_hash(connection: Connection, key_hashes: Sequence[str]) -> dict[str, Principal]:
    """The live (not revoked) keys among the given hashes, by hash."""
    return {
        row.key_hash: Principal(
            key_id=row.id, role=Role(row.role), name=row.name, merchant_id=row.merchant_id, facility=row.facility
        )
        for row in connection.execute(_PRINCIPALS, {"hashes": list(key_hashes)})
    }


def list_keys(connection: Connection, *, merchant_id: int | None = None, key_id: int | None = None) -> list[ApiKey]:
    """Every key, or a merchant's keys, or the one with ``key_id``."""
    query = (
        select(api_key, merchant.c.name.label("merchant_name"))
        .outerjoin(merchant, merchant.c.id == api_key.c.merchant_id)
        .order_by(api_key.c.id)
    )
    if merchant_id is not None:
        query = query.where(api_key.c.merchant_id == merchant_id)
    if key_id is not None:
        query = query.where(api_key.c.id == key_id)
    rows = connection.execute(query)
    return [
        ApiKey(
            id=r.id,
            display_prefix=r.display_prefix,
            role=Role(r.role),
            name=r.name,
            merchant=r.merchant_name,
            facility=r.facility,
            created_at=r.created_at,
            revoked_at=r.revoked_at,
        )
        for r in rows
    ]


def revoke_key(connection: Connection, key_id: int, *, at: datetime) -> bool:
    """Revoke a key; False when no live key has that id."""
    result = connection.execute(
        update(api_key).where(api_key.c.id == key_id, api_key.c.revoked_at.is_(None)).values(revoked_at=at)
    )
    return result.rowcount == 1


# Literal SQL run by ``Database.fetch_one`` below SQLAlchemy's statement layer: it runs on every API request.
_PRINCIPAL = "SELECT id, role, name, merchant_id, facility FROM api_key WHERE key_hash = ? AND revoked_at IS NULL"


async def principal_by_hash(db: Database, key_hash: str) -> Principal | None:
    """The live (not revoked) key with that hash."""
    row = await db.fetch_one(_PRINCIPAL, (key_hash,))
    if row is None:
        return None
    key_id, role, name, merchant_id, facility = row
    return Principal(key_id=key_id, role=Role(role), name=name, merchant_id=merchant_id, facility=facility)
