"""The delivery figures over a period and the parcels one of them counted, within a set of merchants.

Callers narrow ``merchant_ids`` to what the reader may see (services/console/readers.py) before calling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date

from sqlalchemy import Connection

from ordertrail.domain.analytics.breakdowns import By, Group, breakdown
from ordertrail.domain.analytics.drilldown import Drilldown
from ordertrail.domain.analytics.figures import Report, report
from ordertrail.domain.analytics.journeys import Journey, ParcelRecord, journey_of
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.analytics.trends import Interval, Point, trend
from ordertrail.services.analytics.calendars import calendars_of
from ordertrail.services.ports import Ports
from ordertrail.storage.analytics.records import parcel_records


def _today(services: Ports) -> date:
    return services.clock().astimezone(UTC).date()


async def _records(services: Ports, period: Period, merchant_ids: frozenset[int] | None) -> list[ParcelRecord]:
    def read(connection: Connection) -> list[ParcelRecord]:
        return parcel_records(connection, period=period, merchant_ids=merchant_ids)

    return await services.db.read_apart(read)


def _journeys(services: Ports, records: list[ParcelRecord]) -> list[Journey]:
    """Each record's journey, with its destination's calendar for the transit in delivery days."""
    calendar = calendars_of(services)
    return [journey_of(r, calendar(r.destination_country)) for r in records]


async def delivery_report(services: Ports, *, period: Period, merchant_ids: frozenset[int] | None) -> Report:
    """Every figure over ``period``, in total and per lane."""
    records = await _records(services, period, merchant_ids)
    return report(_journeys(services, records), period, _today(services))


async def delivery_breakdown(
    services: Ports, *, period: Period, merchant_ids: frozenset[int] | None, by: By | None
) -> tuple[Report, list[Group]]:
    """Every figure over ``period``, and (``by`` lane, facility or service level) per group; by reason, the
    figures' own split."""
    records = await _records(services, period, merchant_ids)
    journeys = _journeys(services, records)
    today = _today(services)
    groups = breakdown(journeys, period, today, by) if by in (By.LANE, By.FACILITY, By.SERVICE_LEVEL) else []
    return report(journeys, period, today), groups


async def delivery_trend(
    services: Ports, *, period: Period, merchant_ids: frozenset[int] | None, interval: Interval
) -> tuple[date, list[Point]]:
    """The day the figures were judged on, and the figures of each day or week of ``period``."""
    records = await _records(services, period, merchant_ids)
    today = _today(services)
    return today, trend(_journeys(services, records), period, today, interval)


@dataclass(frozen=True, slots=True)
class Overview:
    """What the analytics page shows of the delivery figures, from one read of the period's parcels."""

    report: Report
    groups: list[Group]
    points: list[Point]


async def delivery_overview(
    services: Ports, *, period: Period, merchant_ids: frozenset[int] | None, by: By, interval: Interval
) -> Overview:
    """The figures in total and per lane, per ``by`` group, and per day or week."""
    records = await _records(services, period, merchant_ids)
    journeys = _journeys(services, records)
    today = _today(services)
    return Overview(
        report(journeys, period, today),
        breakdown(journeys, period, today, by),
        trend(journeys, period, today, interval),
    )


async def counted_parcel_ids(
    services: Ports, drilldown: Drilldown, *, merchant_ids: frozenset[int] | None
) -> frozenset[int]:
    """The ids of the parcels the drill-down's figure counted."""
    today = _today(services)
    records = await _records(services, drilldown.period, merchant_ids)
    return frozenset(j.parcel_id for j in _journeys(services, records) if drilldown.matches(j, today))
