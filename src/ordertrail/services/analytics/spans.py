"""Time in each step and dwell per facility over a period, and the parcels dwelling at a facility now.

Callers narrow ``merchant_ids`` to what the reader may see (services/console/readers.py) before calling. The usual
time of a facility (its p90, which "dwelling now" compares with) is measured over every merchant's parcels: it
is the facility's, so a parcel is dwelling or not whoever looks, and a merchant's queue is its share of the
whole one. Only counts of the reader's parcels ever leave here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import Connection

from ordertrail.domain.analytics.figures import part_durations
from ordertrail.domain.analytics.journeys import journey_of
from ordertrail.domain.analytics.kpis import Kpi
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.analytics.spans import is_dwelling
from ordertrail.domain.analytics.stats import Durations
from ordertrail.services.ports import Ports
from ordertrail.storage.analytics.records import open_records, parcel_records

# The facility's usual time is its p90 over the dwells that ended in these last local days (today included).
REFERENCE_DAYS: Final = 30


@dataclass(frozen=True, slots=True)
class SpansReport:
    period: Period
    steps: dict[str, Durations]  # every step, in path order
    dwell: dict[str, Durations]  # facility -> its dwells, by name


@dataclass(frozen=True, slots=True)
class DwellingNow:
    as_of: datetime  # "now" of the comparison
    reference: Period  # where the p90s come from
    p90_hours: dict[str, float]  # facility -> its usual time
    parcel_ids: frozenset[int]  # the reader's parcels dwelling now


async def spans_report(services: Ports, *, period: Period, merchant_ids: frozenset[int] | None) -> SpansReport:
    """The step times and the dwell per facility of the spans that ended in ``period``."""

    def read(connection: Connection) -> SpansReport:
        journeys = [journey_of(r) for r in parcel_records(connection, period=period, merchant_ids=merchant_ids)]
        return SpansReport(
            period, part_durations(journeys, Kpi.STEP_TIMES, period), part_durations(journeys, Kpi.DWELL, period)
        )

    return await services.db.read(read)


def reference_period(now: datetime) -> Period:
    today = now.astimezone(UTC).date()
    return Period(today - timedelta(days=REFERENCE_DAYS - 1), today)


async def dwelling_now(services: Ports, *, merchant_ids: frozenset[int] | None) -> DwellingNow:
    """The open parcels of ``merchant_ids`` whose latest scan is at a facility, there for longer than its p90."""
    now = services.clock()
    reference = reference_period(now)

    def read(connection: Connection) -> DwellingNow:
        history = (journey_of(r) for r in parcel_records(connection, period=reference, merchant_ids=None))
        usual = part_durations(history, Kpi.DWELL, reference)
        p90 = {facility: d.p90 for facility, d in usual.items() if d.p90 is not None}
        waiting = (journey_of(r) for r in open_records(connection, merchant_ids=merchant_ids))
        ids = frozenset(j.parcel_id for j in waiting if is_dwelling(j.stay, p90, now))
        return DwellingNow(now, reference, p90, ids)

    return await services.db.read(read)
