"""Handing a parcel over to a courier: checked, recognised where the library knows the courier, saved (by the
console's use case, services/console/handing_over.py, for the API and the pages; or by a dispatch scan's carrier
block)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from ordertrail.adapters.courier_numbers import recognise
from ordertrail.domain.couriers.handover import Handover, handover_problems, normalize_courier_number
from ordertrail.domain.errors import CourierNumberTaken, FieldProblem, InvalidInput
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.scans import Carrier, ScanInput
from ordertrail.services.couriers.events import attach_kept, shipped_registry
from ordertrail.services.estimating.runtime import EstimateRuntime
from ordertrail.services.estimating.update import estimate_handover
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


def checked_carrier(
    *, courier: str, tracking_number: str, service_level: str | None, tracking_url: str | None
) -> Carrier:
    """A dispatch scan's carrier block, checked like a handover; raises InvalidInput naming ``carrier.<field>``."""
    try:
        handover = checked_handover(
            courier=courier,
            tracking_number=tracking_number,
            service_level=service_level,
            tracking_url=tracking_url,
            at=datetime.min,  # not kept: a carried handover takes the scan's time
        )
    except InvalidInput as error:
        problems = [FieldProblem(f"carrier.{p.field}", p.reason) for p in error.problems]
        raise InvalidInput("The carrier block breaks a rule.", problems=problems) from error
    return Carrier(
        courier=handover.courier,
        tracking_number=handover.tracking_number,
        service_level=handover.service_level,
        tracking_url=handover.tracking_url,
        courier_name=handover.courier_name,
        recognised=handover.recognised,
    )


def handover_tx(
    connection: Connection, parcel: Parcel, handover: Handover, *, estimates: EstimateRuntime | None
) -> list[ParcelChange]:
    """Hand ``parcel`` (read locked) to a courier, replacing an earlier handover, in the caller's transaction;
    the courier's kept events of that number join the timeline. Raises CourierNumberTaken."""
    key = (handover.courier, handover.tracking_number)
    holder = handover_store.parcels_by_courier_number(connection, [key]).get(key)
    if holder is not None and holder != parcel.id:
        raise CourierNumberTaken(field="tracking_number")
    handover_store.save_handover(connection, parcel.id, handover)
    parcel_store.touch_parcel(connection, parcel.id, now=handover.handed_over_at)
    # Its lane now includes the courier and service level: the window is made again on it.
    estimate_handover(
        connection, parcel, handover.courier, handover.service_level, now=handover.handed_over_at, runtime=estimates
    )
    # Events the courier sent before the handover named its number were kept: they join the timeline now.
    return attach_kept(
        connection,
        parcel,
        courier=handover.courier,
        tracking_number=handover.tracking_number,
        registry=shipped_registry(),
        now=handover.handed_over_at,
        estimates=estimates,
    )


def record_carried(
    connection: Connection,
    carried: Sequence[tuple[Parcel, ScanInput]],
    *,
    now: datetime,
    estimates: EstimateRuntime | None,
) -> list[ParcelChange]:
    """The handovers that dispatch scans carried, in the scan's transaction (``Services.handovers``): saved as
    by the API (the scan's time is the handover's), and the courier's kept events recorded behind them."""
    changes: list[ParcelChange] = []
    for parcel, scan in carried:
        carrier = scan.carrier
        if carrier is None:
            continue
        handover = Handover(
            courier=carrier.courier,
            tracking_number=carrier.tracking_number,
            service_level=carrier.service_level,
            tracking_url=carrier.tracking_url,
            handed_over_at=scan.occurred_at,
            courier_name=carrier.courier_name,
            recognised=carrier.recognised,
        )
        # The scan's own estimate already took the courier into the parcel's lane (``Appending.commit``).
        handover_store.save_handover(connection, parcel.id, handover)
        changes += attach_kept(
            connection,
            parcel,
            courier=handover.courier,
            tracking_number=handover.tracking_number,
            registry=shipped_registry(),
            now=now,
            estimates=estimates,
        )
    return changes
