"""The hottest point reads as literal SQL, run by ``Database.fetch_one`` below SQLAlchemy's statement layer.

Only queries that run on every request of a hot path belong here; everything else uses Core.
"""

from __future__ import annotations

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.storage.database import Database

# Changes whenever anything public about the parcel changes: a new event or a new projection.
_PARCEL_VERSION = "SELECT id, last_sequence, status_version, updated_at FROM parcel WHERE tracking_number = ?"
_PRINCIPAL = "SELECT id, role, name, merchant_id, facility FROM api_key WHERE key_hash = ? AND revoked_at IS NULL"


async def parcel_version(db: Database, tracking_number: str) -> tuple[object, ...] | None:
    """A value that changes whenever the parcel's public view may have changed; None for no such parcel."""
    return await db.fetch_one(_PARCEL_VERSION, (tracking_number,))


async def principal_by_hash(db: Database, key_hash: str) -> Principal | None:
    """The live (not revoked) key with that hash."""
    row = await db.fetch_one(_PRINCIPAL, (key_hash,))
    if row is None:
        return None
    key_id, role, name, merchant_id, facility = row
    return Principal(key_id=key_id, role=Role(role), name=name, merchant_id=merchant_id, facility=facility)
