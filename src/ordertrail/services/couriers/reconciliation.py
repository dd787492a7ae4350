"""Handover reconciliation: parcels their courier never picked up, and courier events dated before dispatch.

A courier's first event on a parcel (any code) is its acceptance (``note_courier_events``, in the transaction that
records it). The periodic pass (``reconcile``) flags the dispatched parcels still without one once their lane's
usual window has passed (``domain/couriers/reconciliation.py``), and writes the merchant's
``parcel.not_picked_up`` webhook in the same transaction, so each parcel is announced once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from ordertrail.domain.couriers.handover import Handover
from ordertrail.domain.couriers.reconciliation import PICKUP_STEP, before_dispatch, pickup_due, pickup_window
from ordertrail.domain.estimating.lanes import ANY, Lane
from ordertrail.domain.estimating.revisions import STALL_QUANTILE
from ordertrail.domain.estimating.state import EstimateState
from ordertrail.domain.estimating.stats import LaneStats
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.services.context import Services
from ordertrail.services.estimating.runtime import EstimateRuntime
from ordertrail.services.notifying.outbox import enqueue_pickup_notices
from ordertrail.storage.couriers import handovers as handover_store
from ordertrail.storage.couriers.handovers import AwaitingPickup
from ordertrail.storage.orders import parcels as parcel_store

log = logging.getLogger("ordertrail.couriers")

PASS_CHUNK = 2000  # handovers read per query


def note_courier_events(connection: Connection, recorded: Sequence[tuple[int, datetime]], *, now: datetime) -> None:
    """(parcel id, occurred_at) of courier events just recorded: their parcels are picked up, and an event dated
    before its parcel's dispatch scan is marked (caller's transaction)."""
    if not recorded:
        return
    ids = [pid for pid, _ in recorded]
    handover_store.mark_accepted(connection, ids, now=now)
    dispatched = handover_store.dispatched_at(connection, ids)
    early: dict[int, datetime] = {}
    for pid, at in recorded:
        if before_dispatch(at, dispatched.get(pid)):
            early[pid] = min(at, early.get(pid, at))
    handover_store.mark_early(connection, early)


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    flagged: list[str]  # tracking numbers found not picked up in this pass


def lane_window(stats: LaneStats | None, lane: Lane, min_samples: int) -> timedelta:
    """The pickup window of ``lane``: learned like the stalled threshold (the p95 wait in the dispatched step, at
    the finest lane level with ``min_samples`` parcels), else the default."""
    hours = stats.wait_quantile(lane, PICKUP_STEP, STALL_QUANTILE, min_samples) if stats is not None else None
    return pickup_window(hours)


def due_now(
    connection: Connection, waiting: Sequence[AwaitingPickup], runtime: EstimateRuntime | None, *, now: datetime
) -> list[int]:
    """The parcels of ``waiting`` whose window has passed at ``now``."""
    parcels = parcel_store.parcels_by_id(connection, [w.parcel_id for w in waiting])
    stats = runtime.stats(connection) if runtime is not None else None
    min_samples = runtime.config.policy.min_samples if runtime is not None else 0
    due: list[int] = []
    for w in waiting:
        if w.dispatched_at is None:
            continue
        parcel = parcels[w.parcel_id]
        country, area = parcel.lane_destination()
        state = parcel.estimate or EstimateState(parcel.id)
        # The courier's own pickup habits first (its lane's key by courier and service level), then the lane's.
        lane = Lane(state.origin or ANY, country, area, courier=state.courier, service_level=state.service_level)
        window = lane_window(stats, lane, min_samples)
        if pickup_due(dispatched_at=w.dispatched_at, handed_over_at=w.handed_over_at, window=window) <= now:
            due.append(w.parcel_id)
    return due


def flag_tx(connection: Connection, parcel_ids: Sequence[int], *, now: datetime) -> list[str]:
    """Flag the parcels still not picked up and write their webhooks; their tracking numbers."""
    flagged = handover_store.flag_not_picked_up(connection, parcel_ids, now=now)
    if not flagged:
        return []
    parcels = parcel_store.parcels_by_id(connection, flagged)
    announced: list[tuple[Parcel, Handover]] = []
    for pid in flagged:
        handover = handover_store.handover_of(connection, pid)
        if handover is not None:
            announced.append((parcels[pid], handover))
    enqueue_pickup_notices(connection, announced, now=now)
    return [parcels[pid].tracking_number for pid in flagged]


async def reconcile(services: Services) -> ReconcileResult:
    """One pass: flag the dispatched parcels whose courier sent nothing within the window, and announce them."""
    now = services.clock()
    due: list[int] = []
    after = 0
    while True:

        def chunk(connection: Connection, start: int = after) -> tuple[list[int], int | None]:
            waiting = handover_store.awaiting_pickup(connection, after_id=start, size=PASS_CHUNK)
            last = waiting[-1].parcel_id if len(waiting) == PASS_CHUNK else None
            return due_now(connection, waiting, services.estimates, now=now), last

        found, last = await services.db.read(chunk)
        due += found
        if last is None:
            break
        after = last
        await asyncio.sleep(0)  # SQLite reads run on the event loop: let requests in between chunks
    flagged: list[str] = []
    if due:
        flagged = await services.db.write(lambda connection: flag_tx(connection, due, now=now))
    return ReconcileResult(flagged)


async def run_reconciler(services: Services, *, interval: float, stop: asyncio.Event) -> None:
    """Reconcile every ``interval`` seconds until ``stop`` is set (the worker and ``serve`` run this)."""
    while not stop.is_set():
        try:
            await reconcile(services)
        except Exception:  # the store is busy or away: try again next time
            log.exception("handover reconciliation failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
