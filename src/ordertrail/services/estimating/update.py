"""Delivery estimates in the scan transaction, delays, stalled parcels, and the estimate history.

``estimate_changes`` runs inside the transaction that recorded the changes (``update_estimates`` at order
placement): it keeps each parcel's place on its lane (the ``eta_*`` columns of ``parcel``, saved with the status
projection in the same UPDATE) up to date from the changes alone (events are read again only for corrections
and some late events), makes the new estimate with the pure estimator, records a revision when the window
moved, turns the delay overlay on or off (with its notices, in the same transaction), and marks a delivered
parcel for learning. The periodic job (``sweep``, in the worker and in ``serve``'s own) first learns the marked
parcels into the lane statistics in batches (``learn``), each once, then flags stalled parcels.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from ordertrail.domain.estimating.estimator import Estimate
from ordertrail.domain.estimating.journey import NO_ESTIMATE, StepVisit, hub_step, origin_facility, visits_of
from ordertrail.domain.estimating.lanes import ANY, Lane
from ordertrail.domain.estimating.revisions import (
    Reason,
    Window,
    is_delayed,
    promise_of,
    scan_reason,
)
from ordertrail.domain.estimating.stats import LaneStats, Tally
from ordertrail.domain.notifying.policy import DelayChange
from ordertrail.domain.scanning.changes import EstimateSnapshot, ParcelChange
from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.scanning.transitions import Effect
from ordertrail.services.context import Services
from ordertrail.services.estimating.runtime import EtaRuntime
from ordertrail.services.notifying.outbox import enqueue_delay_notices, enqueue_stall_notices
from ordertrail.storage.estimating import state as estimate_store
from ordertrail.storage.estimating.state import EtaContext, EtaRow, Revision, changed_values, eta_state
from ordertrail.storage.orders.orders import ParcelRecord
from ordertrail.storage.scanning import events as scan_store

log = logging.getLogger("ordertrail.estimates")


@dataclass(slots=True)
class _Pending:
    """What one transaction's estimate update writes besides the parcels' own state."""

    revisions: list[Revision] = field(default_factory=list)
    delays: list[DelayChange] = field(default_factory=list)


def update_estimates(
    connection: Connection, changes: Sequence[ParcelChange], *, now: datetime, runtime: EtaRuntime | None
) -> None:
    """``estimate_changes`` for parcels read here, their state saved here (order placement)."""
    if runtime is None or not changes:
        return
    contexts = estimate_store.eta_contexts(connection, sorted({c.parcel_id for c in changes}))
    rows, _ = _estimate(connection, changes, contexts, now=now, runtime=runtime)
    estimate_store.save_eta_rows(connection, list(rows.values()))


def estimate_changes(
    connection: Connection,
    changes: Sequence[ParcelChange],
    *,
    now: datetime,
    runtime: EtaRuntime | None,
    records: Mapping[int, ParcelRecord],
) -> dict[int, dict[str, Any]]:
    """Re-estimate every parcel ``changes`` touched (``records``: the parcels as the scan transaction read them).

    Fills in each change's ``estimate`` and returns each parcel's changed estimate columns (``changed_values``)
    for the caller to save with its projection (the same UPDATE). Revisions and notices are written here.
    """
    if runtime is None or not changes:
        return {}
    ids = list(dict.fromkeys(c.parcel_id for c in changes))
    fresh = [pid for pid in ids if (records[pid].eta or EtaRow(pid)).country == ""]
    postal = estimate_store.postal_codes(connection, fresh) if fresh else {}
    contexts = {}
    for pid in ids:
        record = records[pid]
        contexts[pid] = estimate_store.context_of(
            pid, record.order_id, record.merchant_id, record.tracking_number, record.eta or EtaRow(pid),
            country=record.destination_country, postal_code=postal.get(pid),
            promised=record.promised_delivery_date,
        )  # fmt: skip
    _, changed = _estimate(connection, changes, contexts, now=now, runtime=runtime)
    return changed


def _estimate(
    connection: Connection,
    changes: Sequence[ParcelChange],
    contexts: Mapping[int, EtaContext],
    *,
    now: datetime,
    runtime: EtaRuntime,
) -> tuple[dict[int, EtaRow], dict[int, dict[str, Any]]]:
    """Estimate each parcel of ``changes`` and fill in the changes' ``estimate``; returns the parcels' estimate
    state and their changed columns."""
    by_parcel: dict[int, list[ParcelChange]] = {}
    for change in changes:
        by_parcel.setdefault(change.parcel_id, []).append(change)
    replay = [pid for pid, group in by_parcel.items() if _needs_events(contexts[pid].row, group)]
    events = scan_store.events_of(connection, replay) if replay else {}
    stats = runtime.stats(connection)
    pending = _Pending()
    rows: dict[int, EtaRow] = {}
    changed: dict[int, dict[str, Any]] = {}
    for pid, group in by_parcel.items():
        context = contexts[pid]
        row = rows[pid] = context.row
        as_read = eta_state(row)
        row.country, row.area = context.country, context.area
        if pid in events:
            _replay(row, events[pid])
        else:
            _advance(row, group)
        last = group[-1]
        lane = runtime.lane(row.origin or ANY, context.country, context.area)
        newest = max(c.event.occurred_at for c in group)
        row.stalled_at = None  # a scan clears the stalled flag
        if last.status in NO_ESTIMATE or row.step is None or row.step_started_at is None:
            # The lane statistics learn it later, in a batch (``learn``): not in the scan's transaction.
            row.learn_pending = last.status == Status.DELIVERED and not row.learned
            _no_estimate(row)
        else:
            found = runtime.estimate(stats, lane, row.step, row.step_started_at, context.country, now)
            if found is not None and (found.earliest, found.latest) != (row.earliest, row.latest):
                before = Window(row.earliest, row.latest) if row.earliest and row.latest else None
                reason = scan_reason(last.status, before, Window(found.earliest, found.latest))
                _revise(pending, row, context, found, reason, now)
            row.stall_after = max(newest, row.step_started_at) + runtime.stall_wait(stats, lane, row.step)
            row.watched = True
        estimate = snapshot(row)
        for change in group:
            change.estimate = estimate
        changed[pid] = changed_values(row, as_read)
    _write(connection, pending, now)
    return rows, changed


def _needs_events(row: EtaRow, group: Sequence[ParcelChange]) -> bool:
    """Corrections change the past; a late event needs the events only when it happened after the current step
    began (it may have begun a step after it)."""
    applied = False
    for c in group:  # one plain loop: this runs for every scan
        if c.effect is Effect.CORRECTION:
            return True
        if c.late and (row.step_started_at is None or c.event.occurred_at >= row.step_started_at):
            return True
        applied = applied or c.effect is Effect.APPLIED
    # A parcel from before estimates existed, and nothing in this group tells where it is now.
    return row.step is None and not applied


def _replay(row: EtaRow, stored: Sequence[ScanEvent]) -> None:
    visits = visits_of(derive(stored))
    if visits:
        row.step, row.step_started_at = visits[-1].step, visits[-1].started_at
    row.hubs = sum(1 for v in visits if v.step.startswith(Status.IN_TRANSIT.value))
    row.origin = origin_facility(stored)
    located = [e for e in stored if e.location.facility and not e.is_correction]
    row.origin_at = min((e.occurred_at for e in located), default=None)


def _advance(row: EtaRow, group: Sequence[ParcelChange]) -> None:
    """Move the parcel along its steps without reading its events (everything but corrections and deliveries)."""
    for change in group:
        event = change.event
        if event.location.facility and (row.origin_at is None or event.occurred_at < row.origin_at):
            row.origin, row.origin_at = event.location.facility, event.occurred_at
        if change.effect is not Effect.APPLIED:
            continue
        if row.step_started_at is not None and event.occurred_at < row.step_started_at:
            # It happened before the current step began: the step stays; an earlier hub renumbers it.
            if event.status == Status.IN_TRANSIT:
                row.hubs += 1
                if row.step is not None and row.step.startswith(Status.IN_TRANSIT.value):
                    row.step = hub_step(row.hubs)
            continue
        if event.status == Status.IN_TRANSIT:
            row.hubs += 1
            row.step = hub_step(row.hubs)
        else:
            row.step = str(event.status)
        row.step_started_at = event.occurred_at


def _no_estimate(row: EtaRow) -> None:
    """Delivered, returned, cancelled: no window, no overlays (nothing to announce: the status says it all)."""
    row.earliest = row.latest = row.likely = None
    row.confidence = None
    row.basis = None
    row.delayed = False
    row.delay_reason = None
    row.stall_after = None
    row.watched = False


def _revise(
    pending: _Pending, row: EtaRow, context: EtaContext, found: Estimate, reason: Reason, now: datetime
) -> None:
    window = Window(found.earliest, found.latest)
    if row.promise is None:
        row.promise = promise_of(context.promised_delivery_date, window)
    row.earliest, row.latest, row.likely = found.earliest, found.latest, found.likely
    row.confidence, row.basis, row.estimated_at = found.confidence, found.basis, now
    delayed = is_delayed(window, row.promise)
    if delayed != row.delayed:
        row.delayed = delayed
        row.delay_reason = reason.value if delayed else None
        pending.delays.append(
            DelayChange(
                parcel_id=row.parcel_id,
                order_id=context.order_id,
                merchant_id=context.merchant_id,
                tracking_number=context.tracking_number,
                delayed=delayed,
                reason=reason.value,
                earliest=found.earliest,
                latest=found.latest,
                promise=row.promise,
            )
        )
    pending.revisions.append(
        Revision(
            parcel_id=row.parcel_id,
            earliest=found.earliest,
            latest=found.latest,
            likely=found.likely,
            confidence=found.confidence,
            basis=found.basis,
            step=found.step,
            reason=reason.value,
            delayed=delayed,
            created_at=now,
        )
    )


def snapshot(row: EtaRow) -> EstimateSnapshot | None:
    """The public part of a parcel's estimate state."""
    if row.earliest is None or row.latest is None or row.estimated_at is None:
        return None
    # earliest, latest, confidence, updated_at, delay_reason (positional: made for every scan)
    return EstimateSnapshot(
        row.earliest, row.latest, row.confidence or 0.0, row.estimated_at, row.delay_reason if row.delayed else None
    )


LEARN_BATCH = 500  # delivered parcels learned per transaction


def learn_tx(connection: Connection, runtime: EtaRuntime, *, now: datetime, limit: int = LEARN_BATCH) -> int:
    """Fold up to ``limit`` delivered parcels into the lane statistics, each exactly once; returns how many.

    Off the scan's transaction on purpose: learning a delivery replays its events and rewrites its lane's
    statistics, which cost a third of the server's time when every delivery scan did it (bench/estimates_ab.py
    --mix journeys); in a batch, each lane's rows are read and written once for all its parcels.
    """
    pending = estimate_store.pending_deliveries(connection, limit=limit)
    if not pending:
        return 0
    events = scan_store.events_of(connection, [p.parcel_id for p in pending])
    deliveries: list[tuple[Lane, tuple[StepVisit, ...], str]] = []
    learned: dict[int, bool] = {}
    for pid, already, country, area in pending:
        stored = events.get(pid, [])
        derivation = derive(stored)
        if derivation.status is Status.DELIVERED and not already:  # a correction may have undone it
            lane = runtime.lane(origin_facility(stored) or ANY, country, area)
            deliveries.append((lane, visits_of(derivation), country))
        learned[pid] = already or derivation.status is Status.DELIVERED
    if deliveries:
        _learn(connection, runtime, deliveries, now)
    estimate_store.mark_learned(connection, learned)
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
    runtime: EtaRuntime,
    deliveries: Sequence[tuple[Lane, tuple[StepVisit, ...], str]],
    now: datetime,
) -> None:
    """Add delivered parcels to the lane statistics: only the rows of their lanes are read and written."""
    tallies: dict[Lane, Tally] = {}
    for lane, visits, country in deliveries:
        tally = tallies.get(lane)
        if tally is None:
            tally = tallies[lane] = Tally()
        tally.count(visits, runtime.calendar(country))
    keys = sorted({key for lane in tallies for _, key in lane.fallbacks()})
    partial, counts = estimate_store.lane_stats_for_update(connection, keys)
    existing = set(counts)
    for lane, tally in tallies.items():
        partial.add(lane, tally)
        for _, key in lane.fallbacks():
            counts[key] = counts.get(key, 0) + tally.parcels
    counts = {key: counts.get(key, 0) for key in keys}
    partial.parcels = counts.get("*", partial.parcels)
    estimate_store.save_lane_stats(connection, partial, counts, existing, now=now)
    runtime.learned(partial, keys)


def _write(connection: Connection, pending: _Pending, now: datetime) -> None:
    if pending.delays:
        orders = sorted({d.order_id for d in pending.delays})
        before = estimate_store.delayed_per_order(connection, orders)  # read before the new overlays are saved
        enqueue_delay_notices(connection, pending.delays, before, now=now)
    estimate_store.add_revisions(connection, pending.revisions)


# -- the periodic sweep: stalled and overdue parcels ----------------------------------------------------------


SWEEP_CHUNK = 2000  # watched parcels tested per read
SWEEP_BATCH = 500  # due parcels flagged and re-estimated per write transaction


@dataclass(frozen=True, slots=True)
class SweepResult:
    stalled: list[str]  # tracking numbers flagged stalled
    revised: int  # parcels whose estimate moved


def sweep_tx(connection: Connection, runtime: EtaRuntime, parcel_ids: Sequence[int], *, now: datetime) -> SweepResult:
    """Flag the parcels of ``parcel_ids`` still past their stall deadline, and re-estimate them and those
    still past their window (a scan may have come since they were found)."""
    stalled_ids, overdue_ids = estimate_store.still_due(
        connection, parcel_ids, now=now, overdue_before=_overdue_before(now)
    )
    ids = [*stalled_ids, *overdue_ids]
    if not ids:
        return SweepResult([], 0)
    stalled = set(stalled_ids)
    contexts = estimate_store.eta_contexts(connection, ids)
    stats: LaneStats = runtime.stats(connection)
    pending = _Pending()
    changed: list[EtaRow] = []
    newly_stalled: list[EtaContext] = []
    for pid in ids:
        context = contexts[pid]
        row = context.row
        if row.step is None or row.step_started_at is None:
            continue
        reason = Reason.MISSED_STEP
        if pid in stalled:
            row.stalled_at = now
            reason = Reason.STALLED
            newly_stalled.append(context)
        lane = Lane(row.origin or ANY, context.country, context.area)
        found = runtime.estimate(stats, lane, row.step, row.step_started_at, context.country, now)
        if found is not None:
            window = Window(found.earliest, found.latest)
            if window != (Window(row.earliest, row.latest) if row.earliest and row.latest else None):
                _revise(pending, row, context, found, reason, now)
        if pid in stalled or row.estimated_at == now:
            changed.append(row)
    if newly_stalled:
        enqueue_stall_notices(connection, newly_stalled, now=now)
    _write(connection, pending, now)
    estimate_store.save_eta_rows(connection, changed, now=now)  # bumps updated_at: cached pages are stale
    return SweepResult([c.tracking_number for c in newly_stalled], len(pending.revisions))


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
            return estimate_store.due_watched(
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
