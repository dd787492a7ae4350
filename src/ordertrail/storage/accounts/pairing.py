"""Pairing codes, stored only as hashes; claiming one is a single conditional UPDATE, so it works once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from ordertrail.domain.accounts.pairing import PairingClaim
from ordertrail.storage.tables import pairing_code
from ordertrail.storage.types import new_id


def insert_code(
    connection: Connection,
    *,
    code_hash: str,
    name: str,
    facility: str | None,
    merchant_id: int | None,
    at: datetime,
    expires_at: datetime,
) -> int:
    result = connection.execute(
        insert(pairing_code).values(
            code_hash=code_hash,
            name=name,
            facility=facility,
            merchant_id=merchant_id,
            created_at=at,
            expires_at=expires_at,
        )
    )
    return new_id(result)


def claim_code(connection: Connection, code_hash: str, *, at: datetime) -> PairingClaim | None:
    """Mark a live (unused, unexpired) code as used; None when there is no such code."""
    row = connection.execute(
        select(pairing_code.c.id, pairing_code.c.name, pairing_code.c.facility, pairing_code.c.merchant_id).where(
            pairing_code.c.code_hash == code_hash,
            pairing_code.c.used_at.is_(None),
            pairing_code.c.expires_at > at,
        )
    ).one_or_none()
    if row is None:
        return None
    # The used_at condition again: of two concurrent exchanges only one updates the row.
    claimed = connection.execute(
        update(pairing_code).where(pairing_code.c.id == row.id, pairing_code.c.used_at.is_(None)).values(used_at=at)
    )
    if claimed.rowcount != 1:
        return None
    return PairingClaim(id=row.id, name=row.name, facility=row.facility, merchant_id=row.merchant_id)


def attach_key(connection: Connection, code_id: int, key_id: int) -> None:
    connection.execute(update(pairing_code).where(pairing_code.c.id == code_id).values(api_key_id=key_id))
