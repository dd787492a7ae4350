"""Learning delivered parcels into the lane statistics: a periodic batched job, off the scan's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from ordertrail.domain.estimating.estimator import score_delivered
from ordertrail.domain.estimating.journey import StepVisit, origin_facility, visits_of
from ordertrail.domain.estimating.lanes import ANY, Lane
from ordertrail.domain.estimating.stats import Tally, recency_weight, tallies_by_key
from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.status import Status
from ordertrail.services.context import Services
from ordertrail.services.estimating.runtime import EstimateRuntime
from ordertrail.storage.estimating import lane_stats as lane_stat_store
from ordertrail.storage.estimating import queues as queue_store
from ordertrail.storage.scanning import events as scan_store

LEARN_BATCH = 500  # delivered parcels learned per transaction


def learn_tx(connection: Connection, runtime: EstimateRuntime, *, now: datetime, limit: int = LEARN_BATCH) -> int:
    """Fold up to ``limit`` delivered parcels into the lane statistics, each exactly once; returns how many.

    Off the scan's transaction on purpose: learning a delivery replays its events and rewrites its lane's
    statistics, which cost a third of the server's time when every delivery scan did it (bench/estimates_ab.py
    --mix journeys); in a batch, each lane's rows are read and written once for all its parcels.
    """
    pending = queue_store.pending_deliveries(connection, limit=limit)
    if not pending:
        return 0
    events = scan_store.events_of(connection, [p.parcel_id for p in pending])
    deliveries: list[tuple[Lane, tuple[StepVisit, ...], str]] = []
    learned: dict[int, bool] = {}
    for pid, already, country, area, courier, service_level in pending:
        stored = events.get(pid, [])
        derivation = derive(stored)
        if derivation.status is Status.DELIVERED and not already:  # a correction may have undone it
            lane = runtime.lane(origin_facility(stored) or ANY, country, area, courier, service_level)
            deliveries.append((lane, visits_of(derivation), country))
        learned[pid] = already or derivation.status is Status.DELIVERED
    if deliveries:
        _learn(connection, runtime, deliveries, now)
    queue_store.mark_learned(connection, learned)
    return len(pending)


async def learn(services: Services) -> int:
    """Learn every delivered parcel not learned yet, in batches (the sweeper does this first on each pass)."""
    runtime = services.estimates
    if runtime is None:
        return 0
    learned = 0
    now = services.clock()

    def batch(connection: Connection) -> int:
        return learn_tx(connection, runtime, now=now)

    while True:
        done = await services.db.write(batch)
        learned += done
        if done < LEARN_BATCH:
            return learned


def _learn(
    connection: Connection,
    runtime: EstimateRuntime,
    deliveries: Sequence[tuple[Lane, tuple[StepVisit, ...], str]],
    now: datetime,
) -> None:
    """Add delivered parcels to the lane statistics: only the rows of their lanes are read and written."""
    tallies: dict[Lane, Tally] = {}
    half_life = runtime.config.policy.half_life_days
    for lane, visits, country in deliveries:
        tally = tallies.get(lane)
        if tally is None:
            tally = tallies[lane] = Tally()
        tally.count(visits, runtime.calendar(country), recency_weight(visits[-1].started_at, half_life))
    scored = deliveries if runtime.config.policy.calibrate else ()
    save_tallies(connection, runtime, tallies, now, scored=scored)


def save_tallies(
    connection: Connection,
    runtime: EstimateRuntime,
    tallies: dict[Lane, Tally],
    now: datetime,
    *,
    scored: Sequence[tuple[Lane, tuple[StepVisit, ...], str]] = (),
    by_key: dict[str, Tally] | None = None,
) -> None:
    """Add counted lanes to the stored statistics (each lane key's row read and written once) and to the cache.
    The ``scored`` deliveries are first scored for the calibration against the rows as they were: the rows
    read hold every key of their lanes, so those estimates are the ones production made. ``by_key``: the
    tallies already merged per key (``tallies_by_key``), done before the transaction by a long import."""
    if by_key is None:
        by_key = tallies_by_key(tallies)
    keys = sorted(by_key)
    partial, counts = lane_stat_store.lane_stats_for_update(connection, keys)
    for lane, visits, country in scored:
        score_delivered(partial, lane, visits, runtime.calendar(country), runtime.config.policy)
    existing = set(counts)
    partial.add_by_key(by_key)
    counts = {key: counts.get(key, 0) + by_key[key].parcels for key in keys}
    partial.parcels = counts.get("*", partial.parcels)
    lane_stat_store.save_lane_stats(connection, partial, counts, existing, now=now)
    runtime.learned(partial, keys)
