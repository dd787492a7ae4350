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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ordertrail.domain.estimating.estimator import Estimate
from ordertrail.domain.estimating.journey import NO_ESTIMATE, hub_step, origin_facility, visits_of
from ordertrail.domain.estimating.lanes import ANY
from ordertrail.domain.estimating.revisions import (
    Reason,
    Revision,
    Window,
    is_delayed,
    promise_of,
    scan_reason,
)
from ordertrail.domain.estimating.state import EtaRow
from ordertrail.domain.notifying.policy import DelayChange
from ordertrail.domain.scanning.changes import EstimateSnapshot, ParcelChange
from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.scanning.transitions import Effect
from ordertrail.services.estimating.runtime import EtaRuntime
from ordertrail.services.notifying.outbox import enqueue_delay_notices
from ordertrail.storage.estimating import revisions as revision_store
from ordertrail.storage.estimating import state as estimate_store
from ordertrail.storage.estimating.state import EtaContext, changed_values, eta_state
from ordertrail.storage.orders.parcels import ParcelRecord
from ordertrail.storage.scanning import events as scan_store


@dataclass(slots=True)
class PendingWrites:
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
    pending = PendingWrites()
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
                revise(pending, row, context, found, reason, now)
            row.stall_after = max(newest, row.step_started_at) + runtime.stall_wait(stats, lane, row.step)
            row.watched = True
        estimate = snapshot(row)
        for change in group:
            change.estimate = estimate
        changed[pid] = changed_values(row, as_read)
    write_pending(connection, pending, now)
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


def revise(
    pending: PendingWrites, row: EtaRow, context: EtaContext, found: Estimate, reason: Reason, now: datetime
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


def write_pending(connection: Connection, pending: PendingWrites, now: datetime) -> None:
    if pending.delays:
        orders = sorted({d.order_id for d in pending.delays})
        before = estimate_store.delayed_per_order(connection, orders)  # read before the new overlays are saved
        enqueue_delay_notices(connection, pending.delays, before, now=now)
    revision_store.add_revisions(connection, pending.revisions)
