"""The periodic sweep: learn pending deliveries, then flag stalled parcels and re-estimate overdue ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from ordertrail.domain.estimating.revisions import (
    Reason,
    Window,
)
from ordertrail.domain.estimating.state import EstimateState
from ordertrail.domain.estimating.stats import LaneStats
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.services.context import Services
from ordertrail.services.estimating.learning import learn
from ordertrail.services.estimating.runtime import EstimateRuntime
from ordertrail.services.estimating.update import PendingWrites, revise, write_pending
from ordertrail.services.notifying.outbox import enqueue_stall_notices
from ordertrail.storage.estimating import queues as queue_store
from ordertrail.storage.estimating import state as estimate_store
from ordertrail.storage.orders import parcels as parcel_store

log = logging.getLogger("ordertrail.estimates")


SWEEP_CHUNK = 2000  # watched parcels tested per read


SWEEP_BATCH = 500  # due parcels flagged and re-estimated per write transaction


@dataclass(frozen=True, slots=True)
class SweepResult:
    stalled: list[str]  # tracking numbers flagged stalled
    revised: int  # parcels whose estimate moved


def sweep_tx(
    connection: Connection, runtime: EstimateRuntime, parcel_ids: Sequence[int], *, now: datetime
) -> SweepResult:
    """Flag the parcels of ``parcel_ids`` still past their stall deadline, and re-estimate them and those
    still past their window (a scan may have come since they were found)."""
    stalled_ids, overdue_ids = queue_store.still_due(
        connection, parcel_ids, now=now, overdue_before=_overdue_before(now)
    )
    ids = [*stalled_ids, *overdue_ids]
    if not ids:
        return SweepResult([], 0)
    stalled = set(stalled_ids)
    parcels = parcel_store.parcels_by_id(connection, ids)
    stats: LaneStats = runtime.stats(connection)
    pending = PendingWrites()
    changed: list[EstimateState] = []
    newly_stalled: list[Parcel] = []
    for pid in ids:
        parcel = parcels[pid]
        state = parcel.estimate
        if state is None or state.step is None or state.step_started_at is None:
            continue
        reason = Reason.MISSED_STEP
        if pid in stalled:
            state.stalled_at = now
            reason = Reason.STALLED
            newly_stalled.append(parcel)
        country, area = parcel.lane_destination()
        found = runtime.estimate(stats, runtime.lane_of(state, country, area), state.step, state.step_started_at,
                                 country, now)  # fmt: skip
        if found is not None:
            window = Window(found.earliest, found.latest)
            if window != (Window(state.earliest, state.latest) if state.earliest and state.latest else None):
                revise(pending, state, parcel, found, reason, now)
        if pid in stalled or state.estimated_at == now:
            changed.append(state)
    if newly_stalled:
        enqueue_stall_notices(connection, newly_stalled, now=now)
    write_pending(connection, pending, now)
    estimate_store.save_estimates(connection, changed, now=now)  # bumps updated_at: cached pages are stale
    return SweepResult([p.tracking_number for p in newly_stalled], len(pending.revisions))


def _overdue_before(now: datetime) -> date:
    """A parcel is re-estimated as overdue once its window's latest date is more than a day behind."""
    return (now - timedelta(days=1)).date()


async def sweep(services: Services) -> SweepResult:
    """One pass of the stalled-parcel job (a no-op when estimates are off).

    It walks the watched parcels (on their way, with an estimate) in chunks, reading, and then flags and
    re-estimates the due ones in write transactions of ``SWEEP_BATCH``. A pass costs a read of every parcel on
    its way; a scan, in exchange, moves no index entry for it (docs/eta.md, "Stalled parcels").
    """
    runtime = services.estimates
    if runtime is None:
        return SweepResult([], 0)
    await learn(services)
    now = services.clock()
    overdue_before = _overdue_before(now)
    due: list[int] = []
    after: int | None = 0
    while after is not None:

        def chunk(connection: Connection, start: int = after) -> tuple[list[int], list[int], int | None]:
            return queue_store.due_watched(
                connection, after_id=start, size=SWEEP_CHUNK, now=now, overdue_before=overdue_before
            )

        stalled, overdue, after = await services.db.read(chunk)
        due += stalled + overdue
        await asyncio.sleep(0)  # SQLite reads run on the event loop: let requests in between chunks
    flagged: list[str] = []
    revised = 0
    for first in range(0, len(due), SWEEP_BATCH):
        batch = due[first : first + SWEEP_BATCH]

        def flag(connection: Connection, batch: list[int] = batch) -> SweepResult:
            return sweep_tx(connection, runtime, batch, now=now)

        # The delivery worker finds the outbox rows this writes on its next poll.
        result = await services.db.write(flag)
        flagged += result.stalled
        revised += result.revised
    runtime.last_sweep_at = now
    return SweepResult(flagged, revised)


async def run_sweeper(services: Services, *, interval: float, stop: asyncio.Event) -> None:
    """Sweep every ``interval`` seconds until ``stop`` is set (the worker and ``serve`` run this)."""
    while not stop.is_set():
        try:
            await sweep(services)
        except Exception:  # the store is busy or away: try again next time
            log.exception("stalled-parcel sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
