"""Handing a parcel over to a courier (by API): checked, recognised where the library knows the courier, saved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from ordertrail.adapters.courier_numbers import recognise
from ordertrail.domain.accounts.keys import Principal
from ordertrail.domain.couriers.handover import Handover, handover_problems, normalize_courier_number
from ordertrail.domain.errors import CourierNumberTaken, InvalidInput, ParcelNotFound
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.services.accounts.merchants import merchant_scope
from ordertrail.services.context import Services
from ordertrail.services.couriers.events import attach_kept, shipped_registry
from ordertrail.services.tracking.lookup import canonical_number
from ordertrail.storage.couriers import handovers as handover_store
from ordertrail.storage.orders import parcels as parcel_store


def checked_handover(
    *, courier: str, tracking_number: str, service_level: str | None, tracking_url: str | None, at: datetime
) -> Handover:
    """A handover as given, checked; raises InvalidInput naming each field that breaks a rule."""
    number = normalize_courier_number(tracking_number)
    problems = handover_problems(
        courier=courier, tracking_number=number, service_level=service_level, tracking_url=tracking_url
    )
    if problems:
        raise InvalidInput("The handover breaks a rule.", problems=problems)
    found = recognise(courier, number)
    return Handover(
        courier=courier,
        tracking_number=number,
        service_level=service_level,
        # The sender's own link wins: it may carry a locale or a postcode the library's template lacks.
        tracking_url=tracking_url or (found.tracking_url if found else None),
        handed_over_at=at,
        courier_name=found.courier_name if found else None,
        recognised=found is not None,
    )


async def hand_over(
    services: Services,
    *,
    principal: Principal,
    parcel_number: str,
    courier: str,
    tracking_number: str,
    service_level: str | None = None,
    tracking_url: str | None = None,
) -> Handover:
    """Hand a parcel to a courier (replacing an earlier handover).

    Raises ParcelNotFound (unknown, malformed or another merchant's number alike), InvalidInput, CourierNumberTaken.
    """
    scope = merchant_scope(principal)
    number = canonical_number(parcel_number)
    handover = checked_handover(
        courier=courier,
        tracking_number=tracking_number,
        service_level=service_level,
        tracking_url=tracking_url,
        at=services.clock(),
    )

    def transaction(connection: Connection) -> list[ParcelChange]:
        parcel = parcel_store.parcels_by_tracking_number(connection, [number], for_update=True).get(number)
        if parcel is None or (scope is not None and parcel.merchant_id != scope):
            raise ParcelNotFound()
        key = (handover.courier, handover.tracking_number)
        holder = handover_store.parcels_by_courier_number(connection, [key]).get(key)
        if holder is not None and holder != parcel.id:
            raise CourierNumberTaken(field="tracking_number")
        handover_store.save_handover(connection, parcel.id, handover)
        parcel_store.touch_parcel(connection, parcel.id, now=handover.handed_over_at)
        # Events the courier sent before the handover named its number were kept: they join the timeline now.
        return attach_kept(
            connection,
            parcel,
            courier=handover.courier,
            tracking_number=handover.tracking_number,
            registry=shipped_registry(),
            now=handover.handed_over_at,
            estimates=services.estimates,
        )

    changes = await services.db.write(transaction)
    await services.committed(changes)
    return handover
