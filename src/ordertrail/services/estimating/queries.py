"""Reading estimates for merchants and admins: a parcel's revision history, stalled and delayed parcels."""

from __future__ import annotations

from sqlalchemy import Connection

from ordertrail.domain.accounts.keys import Principal
from ordertrail.domain.errors import ParcelNotFound
from ordertrail.domain.estimating.revisions import Revision
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.services.accounts.merchants import merchant_scope
from ordertrail.services.context import Services
from ordertrail.services.tracking.lookup import canonical_number
from ordertrail.storage.estimating import revisions as revision_store
from ordertrail.storage.orders import parcels as parcel_store


async def estimate_history(services: Services, *, principal: Principal, tracking_number: str) -> list[Revision]:
    """A parcel's estimate revisions, oldest first; merchants see only their own parcels (else ParcelNotFound)."""
    scope = merchant_scope(principal)
    number = canonical_number(tracking_number)

    def read(connection: Connection) -> list[Revision]:
        found = parcel_store.parcels_by_tracking_number(connection, [number]).get(number)
        if found is None or (scope is not None and found.merchant_id != scope):
            raise ParcelNotFound()
        return revision_store.revisions_of(connection, found.id)

    return await services.db.read(read)


async def flagged(
    services: Services,
    *,
    principal: Principal,
    stalled: bool | None,
    delayed: bool | None,
    before_id: int | None,
    limit: int,
) -> list[Parcel]:
    """Parcels by their stalled and delayed overlays, the caller's merchant only (admins: everyone's)."""
    scope = merchant_scope(principal)
    return await services.db.read(
        lambda c: parcel_store.flagged_parcels(
            c, merchant_id=scope, stalled=stalled, delayed=delayed, before_id=before_id, limit=limit
        )
    )
