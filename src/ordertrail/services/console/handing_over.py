"""Handing a parcel to a courier, for API keys and staff alike (the API route and the parcel page): checked as
every handover is (services/couriers/handover.py), saved and audited in one transaction."""

from __future__ import annotations

from sqlalchemy import Connection

from ordertrail.domain.couriers.handover import Handover
from ordertrail.domain.errors import Forbidden, ParcelNotFound
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console.detail import canonical_number
from ordertrail.services.console.readers import Reader
from ordertrail.services.context import Services
from ordertrail.services.couriers.handover import checked_handover, handover_tx
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.staff import audit as audit_store


def require_handover(reader: Reader) -> None:
    """Raises Forbidden unless the reader may hand parcels over (those who handle exceptions; merchant and admin
    keys)."""
    if not reader.may(Permission.HANDLE):
        raise Forbidden("Handing parcels to couriers needs a role that handles exceptions.")


def hand_over_tx(
    connection: Connection, services: Services, reader: Reader, parcel: Parcel, handover: Handover
) -> list[ParcelChange]:
    """Hand ``parcel`` (read locked, seen by the reader) to a courier and audit it, in the caller's transaction:
    the one step of every handover by API or console, one by one or in bulk. Raises CourierNumberTaken."""
    changes = handover_tx(connection, parcel, handover, estimates=services.estimates)
    audit_store.append(
        connection,
        actor=reader.actor,
        action=Action.PARCEL_HANDED_OVER,
        at=handover.handed_over_at,
        merchant_id=parcel.merchant_id,
        tracking_number=parcel.tracking_number,
        detail={"courier": handover.courier, "courier_tracking_number": handover.tracking_number},
    )
    return changes


async def hand_over(
    services: Services,
    reader: Reader,
    *,
    tracking_number: str,
    courier: str,
    courier_tracking_number: str,
    service_level: str | None = None,
    tracking_url: str | None = None,
) -> Handover:
    """Hand a parcel to a courier (replacing an earlier handover); audited.

    Raises Forbidden, ParcelNotFound (unknown, malformed or another merchant's number alike), InvalidInput,
    CourierNumberTaken.
    """
    require_handover(reader)
    number = canonical_number(tracking_number)
    now = services.clock()
    handover = checked_handover(
        courier=courier,
        tracking_number=courier_tracking_number,
        service_level=service_level,
        tracking_url=tracking_url,
        at=now,
    )

    def transaction(connection: Connection) -> list[ParcelChange]:
        parcel = parcel_store.parcels_by_tracking_number(connection, [number], for_update=True).get(number)
        if parcel is None or not reader.sees(parcel.merchant_id):
            raise ParcelNotFound(field="tracking_number")
        return hand_over_tx(connection, services, reader, parcel, handover)

    changes = await services.db.write(transaction)
    await services.committed(changes)
    return handover
