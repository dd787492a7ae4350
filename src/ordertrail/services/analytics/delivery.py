"""The delivery figures over a period and the parcels one of them counted, within a set of merchants.

Callers narrow ``merchant_ids`` to what the reader may see (services/console/readers.py) before calling.
"""

from __future__ import annotations

from datetime import UTC, date

from sqlalchemy import Connection

from ordertrail.domain.analytics.breakdowns import By, Group, breakdown
from ordertrail.domain.analytics.drilldown import Drilldown
from ordertrail.domain.analytics.figures import Report, report
from ordertrail.domain.analytics.journeys import ParcelRecord, journey_of
from ordertrail.domain.analytics.period import Period
from ordertrail.services.ports import Ports
from ordertrail.storage.analytics.records import parcel_records


def _today(services: Ports) -> date:
    return services.clock().astimezone(UTC).date()


async def _records(services: Ports, period: Period, merchant_ids: frozenset[int] | None) -> list[ParcelRecord]:
    def read(connection: Connection) -> list[ParcelRecord]:
        return parcel_records(connection, period=period, merchant_ids=merchant_ids)

    return await services.db.read_apart(read)


async def delivery_report(services: Ports, *, period: Period, merchant_ids: frozenset[int] | None) -> Report:
    """Every figure over ``period``, in total and per lane."""
    records = await _records(services, period, merchant_ids)
    return report((journey_of(r) for r in records), period, _today(services))


async def delivery_breakdown(
    services: Ports, *, period: Period, merchant_ids: frozenset[int] | None, by: By | None
) -> tuple[Report, list[Group]]:
    """Every figure over ``period``, and (``by`` lane or facility) per group; by reason, the figures' own split."""
    records = await _records(services, period, merchant_ids)
    journeys = [journey_of(r) for r in records]
    today = _today(services)
    groups = breakdown(journeys, period, today, by) if by in (By.LANE, By.FACILITY) else []
    return report(journeys, period, today), groups


async def counted_parcel_ids(
    services: Ports, drilldown: Drilldown, *, merchant_ids: frozenset[int] | None
) -> frozenset[int]:
    """The ids of the parcels the drill-down's figure counted."""
    today = _today(services)
    records = await _records(services, drilldown.period, merchant_ids)
    return frozenset(j.parcel_id for r in records if drilldown.matches(j := journey_of(r), today))
