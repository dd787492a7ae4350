"""Looking up a parcel: the public tracking view and the short summary a scanner shows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from ordertrail.domain.couriers.handover import Handover
from ordertrail.domain.errors import InvalidTrackingNumber, ParcelNotFound
from ordertrail.domain.notifying.messages import ShopMessage
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.changes import EstimateSnapshot
from ordertrail.domain.scanning.derivation import Derivation, derive
from ordertrail.domain.tracking import tracking_number as tn
from ordertrail.services.ports import Ports
from ordertrail.storage.couriers import handovers as handover_store
from ordertrail.storage.notifying import messages as message_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.scanning import events as scan_store


@dataclass(frozen=True, slots=True)
class TrackingView:
    """A parcel and its derived status and timeline."""

    parcel: Parcel
    derivation: Derivation
    estimate: EstimateSnapshot | None = None  # the current delivery estimate and delay overlay
    messages: tuple[ShopMessage, ...] = ()  # what the shop told the customer, oldest first
    courier: Handover | None = None  # the courier it was handed to, if any


def canonical_number(raw: str) -> str:
    """Normalize a typed number. A malformed one is answered exactly like an unknown one (ParcelNotFound)."""
    try:
        return tn.normalize(raw)
    except InvalidTrackingNumber as error:
        raise ParcelNotFound() from error


def tracking_view_tx(connection: Connection, number: str) -> TrackingView:
    """Read one parcel and derive its timeline; raises ParcelNotFound."""
    parcel = parcel_store.parcels_by_tracking_number(connection, [number]).get(number)
    if parcel is None:
        raise ParcelNotFound()
    events = scan_store.events_of(connection, [parcel.id]).get(parcel.id, [])
    estimate = parcel.estimate
    messages = tuple(message_store.messages_of(connection, [parcel.id]).get(parcel.id, []))
    snapshot = None if estimate is None else estimate.snapshot()
    courier = handover_store.handover_of(connection, parcel.id)
    return TrackingView(parcel, derive(events), snapshot, messages, courier)


async def track_parcel(services: Ports, *, tracking_number: str) -> TrackingView:
    """The tracking view of a parcel by a number as typed; raises ParcelNotFound for unknown or malformed."""
    number = canonical_number(tracking_number)
    return await services.db.read(lambda connection: tracking_view_tx(connection, number))


async def tracking_version(services: Ports, *, number: str) -> tuple[object, ...]:
    """A cheap probe that changes whenever the parcel's public view may change; raises ParcelNotFound.

    ``number`` is already canonical (``canonical_number``): this runs on every tracking lookup.
    """
    version = await parcel_store.parcel_version(services.db, number)
    if version is None:
        raise ParcelNotFound()
    return version


async def parcel_by_number(services: Ports, number: str) -> Parcel:
    """The parcel with a canonical number; raises ParcelNotFound."""

    def read(connection: Connection) -> Parcel | None:
        return parcel_store.parcels_by_tracking_number(connection, [number]).get(number)

    parcel = await services.db.read(read)
    if parcel is None:
        raise ParcelNotFound()
    return parcel
