"""Time in each step and dwell per facility over a period, and the parcels dwelling at a facility now.

Callers narrow ``merchant_ids`` to what the reader may see (services/console/readers.py) before calling. The usual
time of a facility (its p90, which "dwelling now" compares with) is measured over every merchant's parcels: it
is the facility's, so a parcel is dwelling or not whoever looks, and a merchant's queue is its share of the
whole one. Only counts of the reader's parcels ever leave here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import monotonic
from typing import Final
from weakref import WeakKeyDictionary

from sqlalchemy import Connection

from ordertrail.domain.analytics.figures import part_durations
from ordertrail.domain.analytics.journeys import journey_of
from ordertrail.domain.analytics.kpis import Kpi
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.analytics.stats import Durations
from ordertrail.services.ports import Ports
from ordertrail.storage.analytics.dwelling import dwelling_count, dwelling_ids
from ordertrail.storage.analytics.records import parcel_records
from ordertrail.storage.database import Database
from ordertrail.storage.scanning.visits import usual_hours

# The facility's usual time is its p90 over the dwells that ended in these last local days (today included).
REFERENCE_DAYS: Final = 30
# Those p90s move slowly (a 30-day window) but cost a sort of the window's visits, and the overview, which live
# lists re-read after every scan, asks for them each time: each process keeps them per store this long.
# Timed by the process's monotonic clock, not the services' clock: a clock held still (tests, replays) must not
# keep old p90s forever.
USUAL_TTL_SECONDS: Final = 300.0
_usual: WeakKeyDictionary[Database, tuple[float, Period, dict[str, float]]] = WeakKeyDictionary()
_refreshing: WeakKeyDictionary[Database, asyncio.Task[dict[str, float]]] = WeakKeyDictionary()


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

    return await services.db.read_apart(read)


def reference_period(now: datetime) -> Period:
    today = now.astimezone(UTC).date()
    return Period(today - timedelta(days=REFERENCE_DAYS - 1), today)


async def usual_times(services: Ports, now: datetime) -> tuple[Period, dict[str, float]]:
    """Each facility's p90 dwell over the reference period before ``now`` (every merchant).

    Read at most USUAL_TTL_SECONDS ago: past that, the p90s kept are still answered while one refresh reads the
    new ones beside the requests (a month of visits is sorted by the store: it must not hold up the page that
    asked, nor, on SQLite, the event loop). Only the first request of a process, or of a new day, waits.
    """
    reference = reference_period(now)
    kept = _usual.get(services.db)
    if kept is not None and kept[1] == reference:
        if monotonic() - kept[0] >= USUAL_TTL_SECONDS and services.db not in _refreshing:
            task = asyncio.get_running_loop().create_task(_refresh_usual(services.db, reference))
            _refreshing[services.db] = task
            task.add_done_callback(lambda _: _refreshing.pop(services.db, None))
        return reference, kept[2]
    return reference, await _refresh_usual(services.db, reference)


async def _refresh_usual(db: Database, reference: Period) -> dict[str, float]:
    # The visits the scans recorded (storage/scanning/visits.py): the p90 the dwell figure gives for the same
    # days, without replaying them.
    p90 = await db.read_apart(lambda c: usual_hours(c, reference.start, reference.end, 90))
    _usual[db] = (monotonic(), reference, p90)
    return p90


async def dwelling_now(services: Ports, *, merchant_ids: frozenset[int] | None) -> DwellingNow:
    """The open parcels of ``merchant_ids`` whose latest scan is at a facility, there for longer than its p90."""
    now = services.clock()
    reference, p90 = await usual_times(services, now)
    ids = await services.db.read_apart(lambda c: dwelling_ids(c, p90, now, merchant_ids=merchant_ids))
    return DwellingNow(now, reference, p90, ids)


async def dwelling_now_count(services: Ports, *, merchant_ids: frozenset[int] | None) -> int:
    """How many parcels ``dwelling_now`` gives (the overview's count), counted by the store."""
    now = services.clock()
    _, p90 = await usual_times(services, now)
    return await services.db.read_apart(lambda c: dwelling_count(c, p90, now, merchant_ids=merchant_ids))
