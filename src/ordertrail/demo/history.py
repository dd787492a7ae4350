"""Delivered parcels read back from the store as journeys, for ``ordertrail eta backtest --from-store``."""

from __future__ import annotations

from sqlalchemy import Connection, select

from ordertrail.demo.simulation import SimulatedParcel
from ordertrail.domain.estimating.journey import origin_facility, origin_region, step_visits
from ordertrail.domain.estimating.lanes import Lane
from ordertrail.domain.scanning.status import Status
from ordertrail.services.context import Services
from ordertrail.storage.scanning import events as scan_store
from ordertrail.storage.tables import order, parcel

CHUNK = 1000


def delivered_journeys_tx(connection: Connection) -> list[SimulatedParcel]:
    """Every delivered parcel with its events and lane, in the order they were placed."""
    rows = list(
        connection.execute(
            select(
                parcel.c.id,
                parcel.c.tracking_number,
                order.c.destination_country,
                order.c.destination_postal_code,
                order.c.destination_region,
                order.c.promised_delivery_date,
                parcel.c.eta_courier,
                parcel.c.eta_service_level,
            )
            .join(order, order.c.id == parcel.c.order_id)
            .where(parcel.c.status == Status.DELIVERED.value)
            .order_by(parcel.c.id)
        )
    )
    journeys: list[SimulatedParcel] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        events = scan_store.events_of(connection, [r.id for r in chunk])
        for row in chunk:
            stored = events.get(row.id, [])
            visits = step_visits(stored)
            if len(visits) < 2 or visits[-1].step != Status.DELIVERED.value:
                continue
            journeys.append(
                SimulatedParcel(
                    tracking_number=row.tracking_number,
                    # Both axes' regions, as a history file gives them: the two-axis keys need them; and the
                    # courier it was handed to, as production learns it.
                    lane=Lane.of(
                        origin_facility(stored),
                        row.destination_country,
                        row.destination_postal_code,
                        origin_region=origin_region(stored, row.destination_country),
                        region=row.destination_region,
                        courier=row.eta_courier,
                        service_level=row.eta_service_level,
                    ),
                    country=row.destination_country,
                    placed_at=visits[0].started_at,
                    delivered_at=visits[-1].started_at,
                    events=tuple(stored),
                    region=row.destination_region,
                    promised=row.promised_delivery_date,
                )
            )
    journeys.sort(key=lambda j: j.placed_at)
    return journeys


async def delivered_journeys(services: Services) -> list[SimulatedParcel]:
    return await services.db.read(delivered_journeys_tx)
